"""Executes each exported notebook in a folder (as Jupyter would, top to bottom) and checks
that its spreadsheet cell prints the MSE the page computed for the same steps
(<model>.expected.json). Used by check-notebook.sh."""
import json
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

folder = Path(sys.argv[1])
failed = []
for path in sorted(folder.glob('*.ipynb')):
    model = path.stem
    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(nb, timeout=900, kernel_name='python3', resources={'metadata': {'path': str(folder)}}).execute()
    except Exception as e:  # the cell that failed and its error
        failed.append(f'{model}: {type(e).__name__}: {str(e)[-600:]}')
        continue
    printed = '\n'.join(
        o.get('text', '') for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', []) if o.get('name') == 'stdout'
    )
    got = [float(x) for x in re.findall(r'^(?:before|step \d+): MSE ([\d.]+)$', printed, re.M)]
    want = json.loads((path.with_suffix('.expected.json')).read_text())['sheet_mse']
    if len(got) != len(want) or any(abs(g - w) > 1.5e-4 for g, w in zip(got, want)):
        failed.append(f'{model}: the spreadsheet cell printed {got}, the page computes {[round(w, 4) for w in want]}')
    else:
        print(f'{model}: ran every cell; the spreadsheet cell matches the page ({want[0]:.4f} -> {want[-1]:.4f})')
    (folder / f'{model}.executed.ipynb').write_text(nbformat.writes(nb))
if failed:
    print('\n'.join(failed), file=sys.stderr)
    sys.exit(1)
