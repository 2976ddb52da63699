//! Sections 9 and 10, and saving: what the trained model learned (biases, a PCA map of
//! the movie factors, similar movies, recommendations), fitting the visitor as a new
//! user, and saving or loading the model. Everything is read from the model with one
//! async read, then ranked on the host.

use collab_core::interpret::{self, Tables};
use collab_core::read;
use collab_core::save::{load, save};
use collab_core::weights;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::app::{Shared, Trained};
use crate::dom::{self, escape};

/// Where a trained or loaded model lives for these sections: the CPU, always. Every view
/// here reads the weights to the host once and ranks there; only the save/load check
/// runs the model, on three pairs, and on WebGPU that one call would compile the model's
/// shaders on the page's thread (over 100 ms for the neural models).
pub fn interpretation_device() -> burn::tensor::Device {
    burn::tensor::Device::flex()
}

/// Movies offered for the visitor to rate.
const TO_RATE: usize = 12;

/// The trained model's tables (dot models only).
async fn tables(app: &Shared) -> Result<(Tables, Vec<String>, Vec<usize>), String> {
    let (model, spec, labels, counts) = {
        let a = app.borrow();
        let t = a.trained.as_ref().ok_or("train a model first (or load one)")?;
        (t.model.clone(), t.spec.clone(), t.items.labels.clone(), popularity(t))
    };
    let w = weights::read(&model).await.map_err(|e| e.to_string())?;
    let tables = Tables::from_weights(&w, &spec)
        .ok_or("this model is a neural network: its predictions are not a dot product, so there are no factor tables or biases to read")?;
    Ok((tables, labels, counts))
}

/// Item indices by number of training ratings, most first (by index for a loaded model).
fn popularity(t: &Trained) -> Vec<usize> {
    let mut counts = vec![0usize; t.items.len()];
    for items in t.rated.values() {
        for &i in items {
            counts[i] += 1;
        }
    }
    let mut order: Vec<usize> = (1..t.items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(counts[i]));
    order
}

/// Redraws everything that depends on the trained model.
pub fn refresh(app: &Shared) {
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = render_check(&app).await;
        match tables(&app).await {
            Ok((t, labels, popular)) => {
                let _ = render_biases(&t, &labels);
                let _ = render_map(&t, &labels, &popular);
                let _ = render_rate_list(&labels, &popular);
                let options: String =
                    labels.iter().skip(1).map(|l| format!("<option value=\"{}\">", escape(l))).collect();
                let _ = dom::set_html("title-list", &options);
                let _ = dom::set_text("learned-message", "");
                let _ = dom::set_attr("learned", "data-state", "ready");
            }
            Err(e) => {
                let _ = dom::set_text("learned-message", &e);
            }
        }
    });
}

fn list(items: &[(usize, f32)], labels: &[String]) -> String {
    items.iter().map(|&(i, v)| format!("<li>{} <span class=\"note\">{v:.3}</span></li>", escape(&labels[i]))).collect()
}

fn render_biases(t: &Tables, labels: &[String]) -> Result<(), String> {
    let ranked = interpret::items_by_bias(t);
    if ranked.is_empty() {
        return dom::set_html("bias-low", "<li>This model has no biases.</li>");
    }
    dom::set_html("bias-low", &list(&ranked[..ranked.len().min(10)], labels))?;
    let high: Vec<(usize, f32)> = ranked.iter().rev().take(10).copied().collect();
    dom::set_html("bias-high", &list(&high, labels))
}

/// The first two principal components of the movie factors, for the most rated movies.
fn render_map(t: &Tables, labels: &[String], popular: &[usize]) -> Result<(), String> {
    if t.k < 2 {
        return dom::set_html(
            "map",
            &format!(
                "<text x=\"20\" y=\"200\" class=\"hint\">A map needs two axes, so at least 2 factors: this model has {}. \
                 Its single factor already orders the movies on one line.</text>",
                t.k
            ),
        );
    }
    let coords = interpret::pca_items(t, 2);
    let shown: Vec<usize> = popular.iter().copied().take(60).collect();
    let pts: Vec<(usize, f32, f32)> =
        shown.iter().filter_map(|&i| coords.get(i - 1).map(|c| (i, c[0], c[1]))).collect();
    let max = pts.iter().fold(1e-6f32, |m, p| m.max(p.1.abs()).max(p.2.abs()));
    let zoom: f32 = dom::value("map-zoom").ok().and_then(|z| z.parse().ok()).unwrap_or(1.0);
    let mut svg = String::from(
        "<line x1=\"0\" y1=\"200\" x2=\"600\" y2=\"200\" class=\"axis\"/><line x1=\"300\" y1=\"0\" x2=\"300\" y2=\"400\" class=\"axis\"/>",
    );
    for (n, (i, x, y)) in pts.iter().enumerate() {
        let (cx, cy) = (300.0 + 280.0 * zoom * x / max, 200.0 - 180.0 * zoom * y / max);
        svg.push_str(&format!(
            "<g><circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4\"><title>{}</title></circle>",
            escape(&labels[*i])
        ));
        if n < 18 {
            let short: String = labels[*i].chars().take(24).collect();
            svg.push_str(&format!("<text x=\"{:.1}\" y=\"{:.1}\">{}</text>", cx + 6.0, cy + 4.0, escape(&short)));
        }
        svg.push_str("</g>");
    }
    dom::set_html("map", &svg)
}

fn render_rate_list(labels: &[String], popular: &[usize]) -> Result<(), String> {
    let html: String = popular
        .iter()
        .take(TO_RATE)
        .map(|&i| {
            format!(
                "<li><label>{} <select data-item=\"{i}\" aria-label=\"your rating of {0}\"><option value=\"\">not seen</option>\
                 <option>1</option><option>2</option><option>3</option><option>4</option><option>5</option></select></label></li>",
                escape(&labels[i])
            )
        })
        .collect();
    dom::set_html("rate-list", &html)
}

async fn similar(app: &Shared) -> Result<(), String> {
    let query = dom::value("similar-query")?;
    let (t, labels, _) = tables(app).await?;
    let index = labels.iter().position(|l| l.eq_ignore_ascii_case(query.trim())).filter(|&i| i > 0);
    let index = index
        .ok_or(format!("no movie is called “{}”; pick one from the list", collab_core::error::clip(&query, 40)))?;
    dom::set_html("similar-list", &list(&interpret::similar_items(&t, index, 10), &labels))
}

async fn recommend(app: &Shared) -> Result<(), String> {
    let user = dom::value("rec-user")?;
    let (index, rated) = {
        let a = app.borrow();
        let t = a.trained.as_ref().ok_or("train a model first")?;
        let index = t.users.encode(user.trim());
        (index, t.rated.get(&index).cloned().unwrap_or_default())
    };
    if index == 0 {
        return Err(format!("user “{}” is not in the training data", collab_core::error::clip(&user, 40)));
    }
    let (t, labels, _) = tables(app).await?;
    let bias = t.user_bias.get(index as usize).copied().unwrap_or(0.0);
    let recs = interpret::recommend(&t, t.user(index as usize), bias, &rated, 10);
    dom::set_html("rec-list", &list(&recs, &labels))
}

/// Fits the visitor's factors from their ratings, movies frozen, and recommends.
async fn bootstrap(app: &Shared) -> Result<(), String> {
    let list = dom::document()?.query_selector_all("#rate-list select").map_err(dom::js_error)?;
    let mut ratings = Vec::new();
    for n in 0..list.length() {
        let Some(select) = list.item(n).and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok()) else { continue };
        if let (Ok(r), Some(item)) = (select.value().parse::<f32>(), select.get_attribute("data-item")) {
            ratings.push((item.parse::<usize>().map_err(|e| e.to_string())?, r));
        }
    }
    if ratings.is_empty() {
        return Err("rate at least one movie".into());
    }
    let (t, labels, _) = tables(app).await?;
    let (avg, avg_bias) = interpret::average_user(&t);
    let (you, you_bias) = interpret::fit_new_user(&t, &ratings, (&avg, avg_bias), 400, 0.5, 0.01);
    let rated: Vec<usize> = ratings.iter().map(|r| r.0).collect();
    dom::set_html("you-list", &self::list(&interpret::recommend(&t, &you, you_bias, &rated, 10), &labels))?;
    dom::set_html("avg-list", &self::list(&interpret::recommend(&t, &avg, avg_bias, &rated, 10), &labels))?;
    let fitted: Vec<String> = ratings
        .iter()
        .map(|&(i, r)| format!("{}: you {r}, model {:.2}", labels[i], t.predict(&you, you_bias, i)))
        .collect();
    dom::set_text("you-fit", &format!("Fitted from {} ratings ({}).", ratings.len(), fitted.join("; ")))
}

/// Predictions of three fixed (user, movie) pairs: the same before saving and after loading.
async fn render_check(app: &Shared) -> Result<(), String> {
    let (preds, pairs) = {
        let a = app.borrow();
        let Some(t) = a.trained.as_ref() else { return Ok(()) };
        let device = t.model.item_factors().device();
        let pairs: Vec<(i32, i32)> = [(1, 1), (2, 5), (3, 10)]
            .into_iter()
            .map(|(u, i)| (u.min(t.users.len() as i32 - 1), i.min(t.items.len() as i32 - 1)))
            .collect();
        let batch = collab_core::data::Encoded {
            users: pairs.iter().map(|p| p.0).collect(),
            items: pairs.iter().map(|p| p.1).collect(),
            ratings: vec![0.0; pairs.len()],
        };
        let (users, items, _) = collab_core::train::to_device(&batch, &device);
        (t.model.forward(users, items), pairs)
    };
    let preds = read::floats(preds).await.map_err(|e| e.to_string())?;
    let text: Vec<String> =
        pairs.iter().zip(&preds).map(|((u, i), p)| format!("user #{u} × movie #{i}: {p:.5}")).collect();
    dom::set_text("model-check", &text.join(" · "))
}

async fn save_model(app: &Shared) -> Result<(), String> {
    let (model, spec, users, items) = {
        let a = app.borrow();
        let t = a.trained.as_ref().ok_or("train a model first")?;
        (t.model.clone(), t.spec.clone(), t.users.clone(), t.items.clone())
    };
    let bytes = save(&model, &spec, &users, &items).await.map_err(|e| e.to_string())?;
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let parts = js_sys::Array::of1(&array);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(dom::js_error)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(dom::js_error)?;
    let link: web_sys::HtmlAnchorElement =
        dom::document()?.create_element("a").map_err(dom::js_error)?.dyn_into().map_err(|_| "no link element")?;
    link.set_href(&url);
    link.set_download("collab-model.bin");
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    dom::set_text("model-message", &format!("Saved {} bytes as collab-model.bin.", bytes.len()))
}

async fn load_model(app: &Shared, file: web_sys::File) -> Result<(), String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(dom::js_error)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    // `load` checks the whole file (sizes against the bytes, vocabularies against the
    // tables, finite weights) before building anything: a bad file leaves the old model.
    let loaded = load(&bytes, &interpretation_device()).map_err(|e| e.to_string())?;
    let name = loaded.spec.kind.name();
    app.borrow_mut().trained = Some(Trained {
        spec: loaded.spec,
        users: loaded.users,
        items: loaded.items,
        model: loaded.model,
        rated: Default::default(),
    });
    dom::set_text("model-message", &format!("Loaded {name} from {}.", file.name()))?;
    refresh(app);
    Ok(())
}

/// Wires the searches, the bootstrapping, and save/load.
pub fn wire(app: &Shared) -> Result<(), String> {
    dom::on_click_async("similar-go", app, "learned-message", |a| Box::pin(async move { similar(&a).await }))?;
    dom::on_click_async("rec-go", app, "learned-message", |a| Box::pin(async move { recommend(&a).await }))?;
    dom::on_click_async("you-go", app, "you-message", |a| Box::pin(async move { bootstrap(&a).await }))?;
    dom::on_click_async("model-save", app, "model-message", |a| Box::pin(async move { save_model(&a).await }))?;
    let a = app.clone();
    dom::listen(&dom::by_id("map-zoom")?, "change", move |_| refresh(&a));
    let a = app.clone();
    dom::listen(&dom::by_id("model-file")?, "change", move |event| {
        let file = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        let app = a.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = match file {
                Some(file) => load_model(&app, file).await,
                None => Err("no file was given".into()),
            };
            if let Err(e) = result {
                let _ = dom::set_text("model-message", &format!("{e}. The model you had is still here."));
            }
        });
    });
    Ok(())
}
