"""Rewrites recbole's copy of MovieLens-100k as GroupLens' ml-100k.zip layout.

recbole keeps u.data as `ml-100k.inter` (tab separated, with a header) and the titles as
`ml-100k.item` (title and year in separate columns, UTF-8). This writes
`ml-100k/u.data` and a latin-1 `ml-100k/u.item` with "Title (year)" titles, which is
what the project's parsers read. Usage: recbole_to_ml100k.py WHEEL OUT_ZIP
"""
import sys
import zipfile

wheel, out = sys.argv[1], sys.argv[2]
base = "recbole/dataset_example/ml-100k/"
with zipfile.ZipFile(wheel) as whl:
    inter = whl.read(base + "ml-100k.inter").decode("utf-8").splitlines()[1:]
    items = whl.read(base + "ml-100k.item").decode("utf-8").splitlines()[1:]

u_data = "".join(
    "\t".join(str(int(float(x))) for x in line.split("\t")) + "\n" for line in inter if line.strip()
)
u_item = []
for line in items:
    fields = line.split("\t")
    if len(fields) < 3:
        continue
    item_id, title, year = fields[0], fields[1], fields[2].strip()
    full = f"{title} ({year})" if year else title
    u_item.append(f"{item_id}|{full}|||" + "|0" * 19 + "\n")

with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("ml-100k/u.data", u_data)
    z.writestr("ml-100k/u.item", "".join(u_item).encode("latin-1", errors="replace"))
