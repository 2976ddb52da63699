//! Writes what `scripts/check-notebook.sh` runs in fastai: a generated MovieLens-100k
//! folder (`ml-100k/u.data`, `u.item`), and the page's exported notebook for every model
//! of section 8 (each with other spreadsheet settings), loaded with that data as a visitor
//! would load it, beside the MSE the page's spreadsheet shows before and after each of
//! the notebook's steps (`<model>.expected.json`).
//!
//! ```text
//! cargo run --release -p collab-web --example notebook -- OUT_DIR
//! ```

use collab_core::data::movielens;
use collab_core::data::synth::{SynthSettings, generate, to_u_data, to_u_item};
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

fn main() -> Result<(), String> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: notebook OUT_DIR")?);
    let table =
        generate(SynthSettings { users: 200, items: 300, factors: 4, density: 0.12, ..SynthSettings::default() });
    let (u_data, u_item) = (to_u_data(&table), to_u_item(&table));
    let folder = out.join("ml-100k");
    std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
    std::fs::write(folder.join("u.data"), &u_data).map_err(|e| e.to_string())?;
    std::fs::write(folder.join("u.item"), &u_item).map_err(|e| e.to_string())?;
    for (model, bias, y_range, wd, decoupled) in CASES {
        let controls = [model, "8", "1", "0.005", "0.1", "decoupled", "64", "42", "cpu", "adam"].map(String::from);
        let mut app = App::new(DeviceState::default(), TrainControls(controls), SheetSettings::default());
        // As the page loads them: the files handed over, read by a worker of their own
        // (here, the core's reader as that worker runs it), its summary answered.
        let files = vec![("u.data".to_string(), u_data.clone()), ("u.item".to_string(), u_item.clone())];
        let sizes = files.iter().map(|(n, b)| (n.clone(), b.len() as u64)).collect();
        let _ = update(&mut app, Msg::Data(DataMsg::Files { id: 1, origin: Origin::Picked, files: sizes }));
        let (table, used) = movielens::parse_named(&files).map_err(|e| e.to_string())?;
        let summary = Box::new(DataSummary::of(&table));
        let _ = update(
            &mut app,
            Msg::Data(DataMsg::Loader { id: 1, msg: FromWorker::Loaded { id: 1, summary, used, memory: 0 } }),
        );
        let sheet = SheetControls {
            bias,
            y_range,
            wd: wd.into(),
            decoupled,
            ..SheetControls::showing(&app.sheet.sheet.settings)
        };
        let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(sheet)));
        // The page's Step on every rated cell, as the notebook's cell takes it.
        let device = burn::tensor::Device::flex();
        let mut sheet = app.sheet.sheet.clone();
        let mut mse = vec![block_on(sheet.evaluate(&device)).map_err(|e| e.to_string())?.mse];
        for _ in 0..SHEET_STEPS {
            block_on(sheet.step(&device, &[])).map_err(|e| e.to_string())?;
            mse.push(block_on(sheet.evaluate(&device)).map_err(|e| e.to_string())?.mse);
        }
        std::fs::write(out.join(format!("{model}.ipynb")), ipynb(&app)).map_err(|e| e.to_string())?;
        let expected = serde_json::json!({ "sheet_mse": mse });
        std::fs::write(out.join(format!("{model}.expected.json")), expected.to_string()).map_err(|e| e.to_string())?;
        println!("{model}: sheet MSE {:.4} -> {:.4} in {SHEET_STEPS} steps", mse[0], mse[SHEET_STEPS]);
    }
    Ok(())
}
