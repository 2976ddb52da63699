//! Section 6, bias: the same table trained with and without user and movie biases, from
//! the same starting factors, compared by RMSE.

use collab_core::sheet::Sheet;

use crate::app::Shared;
use crate::dom;

const STEPS: usize = 60;

async fn train(mut sheet: Sheet, bias: bool, device: &burn::tensor::Device) -> Result<f32, String> {
    sheet.settings.bias = bias;
    for _ in 0..STEPS {
        sheet.step(device, &[]).await.map_err(|e| e.to_string())?;
    }
    Ok(sheet.evaluate(device).await.map_err(|e| e.to_string())?.rmse)
}

async fn compare(app: &Shared) -> Result<(), String> {
    let (sheet, device) = {
        let a = app.borrow();
        (a.sheet.clone(), a.device.device.clone())
    };
    dom::set_text("bias-result", &format!("training both for {STEPS} steps …"))?;
    let without = train(sheet.clone(), false, &device).await?;
    let with = train(sheet, true, &device).await?;
    dom::set_text("bias-without", &format!("{without:.4}"))?;
    dom::set_text("bias-with", &format!("{with:.4}"))?;
    dom::set_text(
        "bias-result",
        &format!("After {STEPS} full-batch steps from the sheet's current numbers (same learning rate)."),
    )?;
    dom::set_attr("bias", "data-state", "done")
}

/// Wires the compare button.
pub fn wire(app: &Shared) -> Result<(), String> {
    dom::on_click_async("bias-compare", app, "bias-result", |a| Box::pin(async move { compare(&a).await }))
}
