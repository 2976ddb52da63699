//! Writes what `scripts/check-notebook.sh` runs in fastai: a generated MovieLens-100k
//! folder (`ml-100k/u.data`, `u.item`), and the page's exported notebook for every model
//! of section 8 (each with other spreadsheet settings), loaded with that data as a visitor
//! would load it, beside the MSE the page's spreadsheet shows before and after each of
//! the notebook's steps (`<model>.expected.json`); then the same for the ml-1m and
//! ml-latest-small layouts (`ml-1m/ratings.dat`, …, loaded on the page as their zips).
//!
//! ```text
//! cargo run --release -p collab-web --example notebook -- OUT_DIR
//! ```

use collab_core::data::generate::{Stand, loose, zip};
use collab_core::data::synth::{SynthSettings, generate, to_u_data, to_u_item};
use collab_core::data::{Release, movielens};
use collab_core::read::block_on;
use collab_core::sheet::SheetSettings;
use collab_web::fields::{SheetControls, TrainControls};
use collab_web::msg::{DataMsg, Msg, SheetMsg};
use collab_web::notebook::{SHEET_STEPS, ipynb};
use collab_web::protocol::FromWorker;
use collab_web::state::{App, DataSummary, DeviceState, Origin};
use collab_web::update::update;

/// Each model with the spreadsheet settings its notebook is exported with: together they
/// cover biases, sigmoid_range, L2 and decoupled weight decay.
const CASES: [(&str, bool, bool, &str, bool); 6] = [
    // model, bias, y_range, wd, decoupled
    ("dotbias", true, true, "0.01", false),
    ("scratch", true, false, "0.1", true),
    ("dot", false, true, "0", false),
    ("dotraw", false, false, "0.05", false),
    ("nn", true, true, "0.02", true),
    ("embnn", false, false, "0", false),
];

/// The other layouts, each exported once (with DotProductBias): the data cell must read
/// them as GroupLens ships them, from the zip's folder unpacked beside the notebook.
const RELEASES: [Release; 2] = [Release::Ml1m, Release::LatestSmall];

fn main() -> Result<(), String> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: notebook OUT_DIR")?);
    let table =
        generate(SynthSettings { users: 200, items: 300, factors: 4, density: 0.12, ..SynthSettings::default() });
    let (u_data, u_item) = (to_u_data(&table), to_u_item(&table));
    let files = vec![("u.data".to_string(), u_data), ("u.item".to_string(), u_item)];
    write_folder(&out.join("ml-100k"), &files)?;
    for (model, bias, y_range, wd, decoupled) in CASES {
        export(&out, model, model, files.clone(), (bias, y_range, wd, decoupled))?;
    }
    for release in RELEASES {
        let stand = Stand::new(release, 20_000);
        write_folder(&out.join(release.folder()), &loose(&stand))?;
        let picked = vec![(format!("{}.zip", release.folder()), zip(&stand))];
        export(&out, &format!("dotbias-{}", release.folder()), "dotbias", picked, (true, true, "0.01", false))?;
    }
    Ok(())
}

fn write_folder(folder: &std::path::Path, files: &[(String, Vec<u8>)]) -> Result<(), String> {
    std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
    for (name, bytes) in files {
        std::fs::write(folder.join(name), bytes).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Loads `files` into the page as a visitor would, sets the spreadsheet, and writes the
/// exported notebook `<name>.ipynb` beside the MSE the page's spreadsheet computes.
fn export(
    out: &std::path::Path,
    name: &str,
    model: &str,
    files: Vec<(String, Vec<u8>)>,
    (bias, y_range, wd, decoupled): (bool, bool, &str, bool),
) -> Result<(), String> {
    let controls = [model, "8", "1", "0.005", "0.1", "decoupled", "64", "42", "cpu", "adam"].map(String::from);
    let mut app = App::new(DeviceState::default(), TrainControls(controls), SheetSettings::default());
    // As the page loads them: the files handed over, read by a worker of their own (here,
    // the core's reader as that worker runs it), its summary answered.
    let sizes = files.iter().map(|(n, b)| (n.clone(), b.len() as u64)).collect();
    let _ = update(&mut app, Msg::Data(DataMsg::Files { id: 1, origin: Origin::Picked, files: sizes }));
    let (table, used) = movielens::parse_named(&files).map_err(|e| e.to_string())?;
    let summary = Box::new(DataSummary::of(&table));
    let _ = update(
        &mut app,
        Msg::Data(DataMsg::Loader { id: 1, msg: FromWorker::Loaded { id: 1, summary, used, memory: 0 } }),
    );
    assert_eq!(app.data.progress_state, "loaded", "{}", app.data.progress);
    let sheet =
        SheetControls { bias, y_range, wd: wd.into(), decoupled, ..SheetControls::showing(&app.sheet.sheet.settings) };
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(sheet)));
    // The page's Step on every rated cell, as the notebook's cell takes it.
    let device = burn::tensor::Device::flex();
    let mut sheet = app.sheet.sheet.clone();
    let mut mse = vec![block_on(sheet.evaluate(&device)).map_err(|e| e.to_string())?.mse];
    for _ in 0..SHEET_STEPS {
        block_on(sheet.step(&device, &[])).map_err(|e| e.to_string())?;
        mse.push(block_on(sheet.evaluate(&device)).map_err(|e| e.to_string())?.mse);
    }
    std::fs::write(out.join(format!("{name}.ipynb")), ipynb(&app)).map_err(|e| e.to_string())?;
    let expected = serde_json::json!({ "sheet_mse": mse });
    std::fs::write(out.join(format!("{name}.expected.json")), expected.to_string()).map_err(|e| e.to_string())?;
    println!(
        "{name}: sheet MSE {:.4} -> {:.4} in {SHEET_STEPS} steps ({})",
        mse[0], mse[SHEET_STEPS], app.data.progress
    );
    Ok(())
}
