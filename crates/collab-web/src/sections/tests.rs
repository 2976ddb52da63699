//! What the sections draw, asserted on the patches: labels, states and charts derived
//! from the state in one place each, and every element drawn into looked up at start.

use collab_core::sheet::SheetSettings;
use collab_core::train::EpochMetrics;

use super::{Patch, ids, render};
use crate::fields::TrainControls;
use crate::protocol::{Progress, Slot, TrainSettings};
use crate::state::{App, DeviceState, Fit, Phase};

fn app() -> App {
    let controls =
        TrainControls(["dotbias", "8", "2", "0.01", "0.1", "decoupled", "16", "1", "auto", "adam"].map(String::from));
    App::new(DeviceState { label: "CPU (wasm): test".into(), gpu: None }, controls, SheetSettings::default())
}

/// The value drawn into `id` (text or HTML), or of attribute `name`.
fn drawn<'a>(patches: &'a [Patch], id: &str, name: Option<&str>) -> Option<&'a str> {
    patches.iter().find_map(|p| match (p, name) {
        (Patch::Text(i, v) | Patch::Html(i, v), None) if *i == id => Some(v.as_str()),
        (Patch::Attr(i, n, v), Some(want)) if *i == id && *n == want => Some(v.as_str()),
        _ => None,
    })
}

fn fit(phase: Phase, progress: Option<Progress>) -> Fit {
    let settings = TrainControls(["dot", "4", "1", "0.01", "0", "l2", "8", "1", "auto", "adam"].map(String::from))
        .settings()
        .unwrap();
    Fit { progress, ..Fit::new(1, settings, phase) }
}

#[test]
fn every_patch_goes_to_an_element_the_page_looks_up() {
    let ids = ids();
    let mut app = app();
    app.train.fit = Some(fit(Phase::Running, Some(Progress::default())));
    for patch in render(&app) {
        let id = match patch {
            Patch::Text(id, _) | Patch::Html(id, _) | Patch::Attr(id, _, _) | Patch::Flag(id, _, _) => id,
        };
        assert!(ids.contains(&id) || super::factors::MATCHES.contains(&id), "#{id} is not looked up at start");
    }
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "each id once");
    // Section 8's controls are read by id too.
    for (id, _) in crate::fields::TRAIN_CONTROLS {
        assert!(ids.contains(&id), "#{id} is not looked up at start");
    }
}

#[test]
fn the_train_button_status_and_state_follow_the_phase() {
    use super::train::{button, state, status};
    let p = Progress { steps_done: 12, total_steps: 40, epoch: 1, lr: 0.004, beta1: 0.9, ..Progress::default() };
    assert_eq!((button(None), state(None), status(None).as_str()), ("Train", "idle", "Not started."));
    let running = fit(Phase::Running, Some(p.clone()));
    assert_eq!((button(Some(&running)), state(Some(&running))), ("Pause", "running"));
    assert_eq!(status(Some(&running)), "step 12 of 40, epoch 1 · lr 4.00e-3 · beta1 0.900");
    assert_eq!(status(Some(&fit(Phase::Running, None))), "Training…");
    let paused = fit(Phase::Paused, Some(p.clone()));
    assert_eq!((button(Some(&paused)), status(Some(&paused)).as_str()), ("Resume", "Paused at step 12 of 40."));
    let row = EpochMetrics { epoch: 0, train_loss: 1.0, valid_loss: 1.0, rmse: 1.0, seconds: 1.0 };
    let done = fit(Phase::Done, Some(Progress { history: vec![row; 2], steps_done: 40, ..p }));
    assert_eq!(
        (button(Some(&done)), state(Some(&done)), status(Some(&done)).as_str()),
        ("Train", "done", "Done: 2 epochs, 40 steps.")
    );
    let stopped = fit(Phase::Stopped, None);
    assert_eq!(
        (button(Some(&stopped)), state(Some(&stopped)), status(Some(&stopped)).as_str()),
        ("Train", "stopped", "Stopped.")
    );
}

#[test]
fn a_reset_fit_draws_an_empty_progress_bar_and_table() {
    let patches = render(&app());
    assert_eq!(drawn(&patches, "train-progress", Some("value")), Some("0"));
    assert_eq!(drawn(&patches, "train-rows", None), Some(""));
    assert_eq!(drawn(&patches, "train-start", None), Some("Train"));
}

#[test]
fn the_sheets_chart_draws_each_series_on_one_log_axis_and_carries_its_numbers() {
    use crate::state::Series;
    let first = Series {
        label: "a".into(),
        start: Some((8.0, None)),
        train: vec![4.0, 2.0],
        held: vec![],
        ..Series::default()
    };
    let second = Series {
        label: "b".into(),
        start: Some((2.0, Some(1.0))),
        train: vec![0.2, 0.02],
        held: vec![0.5, 0.8],
        ..Series::default()
    };
    let svg = super::sheet::chart(&[first, second]);
    assert_eq!(svg.matches("<g class=\"series\"").count(), 2);
    assert!(svg.contains("data-train=\"[8,4,2]\" data-held=\"[]\""), "{svg}");
    assert!(svg.contains("data-train=\"[2,0.2,0.02]\" data-held=\"[1,0.5,0.8]\""), "{svg}");
    let ys = |class: &str, n: usize| -> Vec<f64> {
        let line = svg.split(&format!("class=\"{class}\" points=\"")).nth(n).unwrap().split('"').next().unwrap();
        line.split(' ').map(|p| p.split(',').nth(1).unwrap().parse().unwrap()).collect()
    };
    // The second series starts where the first ended (x), a falling loss goes down the
    // chart (y grows), the rising held-out loss goes up, and on a log scale 8 → 4 → 2
    // are evenly spaced.
    let (a, b, held) = (ys("train", 1), ys("train", 2), ys("held", 1));
    assert!(a[0] < a[1] && a[1] < a[2] && b[1] < b[2] && held[2] < held[1], "{svg}");
    assert!(((a[1] - a[0]) - (a[2] - a[1])).abs() < 0.15, "{a:?}");
    // The top and bottom ticks are the losses at the fitted range's ends.
    assert!(svg.contains("MSE (log scale)") && svg.contains("steps (5 in all)"), "{svg}");
}

#[test]
fn the_charts_draw_only_finite_points() {
    use crate::state::Series;
    let steps = |train: &[f32]| vec![Series { train: train.to_vec(), ..Series::default() }];
    assert!(super::sheet::chart(&steps(&[1.0])).contains("Step or Run"));
    let sheet = super::sheet::chart(&steps(&[2.0, f32::NAN, 1.0]));
    let line = sheet.split("class=\"train\" points=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(line.matches(',').count(), 2, "two points: {sheet}");
    assert!(!sheet.contains("NaN"));
    let row = |v: f64| EpochMetrics { epoch: 0, train_loss: 1.0, valid_loss: v, rmse: 1.0, seconds: 1.0 };
    let p = Progress {
        total_steps: 10,
        batches_per_epoch: 5,
        points: vec![(1, 2.0), (2, f64::INFINITY), (5, 1.0)],
        history: vec![row(f64::NAN), EpochMetrics { epoch: 1, ..row(0.8) }],
        ..Progress::default()
    };
    let train = super::train::chart(&p);
    assert!(!train.contains("NaN") && !train.contains("inf"), "{train}");
    assert_eq!(train.matches("<circle").count(), 1, "the NaN valid loss is left out");
    // y fitted to the data (0.704 to 2.096: 0.8 to 2.0 and a margin), x ticked by epoch.
    assert!(train.contains("points=\"100.4,20.3 318.0,128.1\""), "{train}");
    assert!(train.contains(">0.704</text>") && train.contains(">2.096</text>"), "{train}");
    assert!(train.contains(">epoch 0</text>") && train.contains(">epoch 1</text>"), "{train}");
}

#[test]
fn the_overfit_section_says_what_the_pair_does() {
    let mut app = app();
    let row = EpochMetrics { epoch: 0, train_loss: 1.0, valid_loss: 1.2, rmse: 1.1, seconds: 1.0 };
    let progress = Progress { steps_done: 3, total_steps: 9, history: vec![row, row], ..Progress::default() };
    let with = |wd| Fit {
        settings: TrainSettings { wd, ..fit(Phase::Running, None).settings },
        ..fit(Phase::Running, Some(progress.clone()))
    };
    app.overfit.pair = Some([with(0.0), with(0.1)]);
    let patches = render(&app);
    assert_eq!(drawn(&patches, "overfit", Some("data-state")), Some("running"));
    assert!(drawn(&patches, "overfit-status", None).unwrap().starts_with("Training both… weight decay 0: step 3 of 9"));
    for f in app.overfit.pair.as_mut().unwrap() {
        f.phase = Phase::Done;
    }
    let patches = render(&app);
    assert_eq!(drawn(&patches, "overfit", Some("data-state")), Some("done"));
    assert_eq!(drawn(&patches, "overfit-charts", None).unwrap().matches("<svg").count(), 2);
    app.overfit.failed = Some("The training worker stopped".into());
    let patches = render(&app);
    assert_eq!(drawn(&patches, "overfit", Some("data-state")), Some("stopped"));
    assert_eq!(drawn(&patches, "overfit-status", None), Some("The training worker stopped"));
    let _ = Slot::Train;
}

#[test]
fn without_a_model_the_learned_views_are_empty_and_say_why() {
    let patches = render(&app());
    assert_eq!(drawn(&patches, "learned", Some("data-state")), Some("pending"));
    for id in ["bias-low", "map", "rec-list", "you-list", "rate-list"] {
        assert_eq!(drawn(&patches, id, None), Some(""), "#{id}");
    }
}

#[test]
fn the_walk_says_which_row_it_reached() {
    use collab_core::data::CrossTable;
    use collab_core::lesson::lookup_both;
    use collab_core::sheet::{ITEM_FACTORS, Sheet, USER_FACTORS};
    let table = crate::state::demo_table();
    let sheet = Sheet::new(CrossTable::top(&table, 15), SheetSettings::default(), 1);
    let (u, i, _) = sheet.rated()[0];
    let lookup = collab_core::read::block_on(lookup_both(&sheet, u, i, &burn::tensor::Device::flex())).unwrap();
    let users = sheet.weights.get(USER_FACTORS).unwrap().clone();
    let items = sheet.weights.get(ITEM_FACTORS).unwrap().clone();
    let k = sheet.settings.k;
    let shown = crate::state::LookupShown { generation: 1, user: u, item: i, lookup, users, items, k };
    let note = |w| super::lookup::walk_note(&shown, Some(w), false);
    assert!(note(u).starts_with(&format!("user row {u}: the one-hot value is 1")));
    assert!(note((u + 1) % 15).contains("adds nothing"));
    assert!(note(15 + i).starts_with(&format!("movie row {i}: the one-hot value is 1")));
    assert_eq!(
        super::lookup::walk_note(&shown, None, true),
        "Done: 28 rows were multiplied by 0 and added nothing; one row of each table survived."
    );
    // Half-way through the user table, the sum holds only the rows done.
    let html = super::lookup::product_html("user", &shown.lookup.user_one_hot, &shown.users, u, k, Some((3, true)));
    assert!(html.contains("sum of rows 0 to 2 so far"));
    assert_eq!(html.matches("current").count(), 1, "row 2 is the current one");
    assert_eq!(html.matches("waiting").count(), 15 - 3, "the rows not yet multiplied wait");
}

#[test]
fn the_loss_adds_up_with_l2_and_decoupled_decay_is_no_term_of_it() {
    use collab_core::train::WdKind;
    let mut app = app();
    app.sheet.sheet.settings.wd = 0.1;
    app.sheet.sheet.settings.lr = 0.01;
    app.sheet.sheet.settings.wd_kind = WdKind::L2;
    let l2 = super::decay::figure(&app, 1.3329, 4.9104);
    assert!(
        l2.contains("1.3329</output> + wd·Σw² <output id=\"wd-l2\">4.9104</output> = <output id=\"wd-total\">6.2433"),
        "{l2}"
    );
    app.sheet.sheet.settings.wd_kind = WdKind::Decoupled;
    let decoupled = super::decay::figure(&app, 1.3329, 4.9104);
    assert!(!decoupled.contains(" + wd"), "no sum that does not add up: {decoupled}");
    assert!(
        decoupled
            .starts_with("loss = MSE <output id=\"wd-mse\">1.3329</output> = <output id=\"wd-total\">1.3329</output>")
    );
    assert!(decoupled.contains("multiplies every weight by (1 − lr·wd) = <output id=\"wd-shrink\">0.99900</output>"));
}

#[test]
fn the_lookup_shows_every_term_of_its_prediction() {
    use collab_core::lesson::lookup_both;
    use collab_core::read::block_on;
    let mut app = app();
    app.sheet.sheet.settings.bias = true;
    app.sheet.sheet.settings.y_range = true;
    let sheet = collab_core::sheet::Sheet::new(app.sheet.sheet.cross.clone(), app.sheet.sheet.settings, 3);
    let (u, i, _) = sheet.rated()[0];
    let l = block_on(lookup_both(&sheet, u, i, &burn::tensor::Device::flex())).unwrap();
    let dot: f32 = l.user_by_index.iter().zip(&l.item_by_index).map(|(a, b)| a * b).sum();
    assert!((l.dot - dot).abs() < 1e-5, "the dot of the rows shown");
    let (ub, ib) = l.biases.expect("biases on");
    let x = dot + ub + ib;
    let squashed = 5.5 / (1.0 + (-x).exp());
    assert!(
        (squashed - l.pred_by_product).abs() < 1e-5,
        "the prediction is its terms: {squashed} vs {}",
        l.pred_by_product
    );
    let said = super::lookup::terms(&l);
    assert!(said.contains(&format!("user bias {ub:.4} + movie bias {ib:.4} = {x:.4}")), "{said}");
    assert!(said.ends_with(&format!("0 + 5.5 × σ({x:.4}) = {:.4}, the prediction.", l.pred_by_product)), "{said}");
}

#[test]
fn the_neural_models_say_how_they_size_their_embeddings_and_the_factors_field_rests() {
    let mut app = app();
    let patches = render(&app);
    assert!(patches.contains(&Patch::Flag("train-factors", "disabled", false)));
    assert_eq!(drawn(&patches, "train-factors-note", None), Some(""));
    app.train.controls.0[0] = "nn".into();
    let patches = render(&app);
    assert!(patches.contains(&Patch::Flag("train-factors", "disabled", true)));
    let note = drawn(&patches, "train-factors-note", None).unwrap();
    assert!(
        note.contains("CollabNN sizes its embeddings by fastai's rule")
            && note.contains("74 for 944 users, 102 for 1,665 movies"),
        "{note}"
    );
    app.train.split = Some(crate::protocol::SplitCounts {
        train: 8,
        valid: 2,
        users: 30,
        items: 20,
        valid_only_users: 0,
        valid_only_items: 0,
    });
    let note = super::train::factors_note(&app).1;
    assert!(note.ends_with("11 for 30 users, 9 for 20 movies)"), "{note}");
}

#[test]
fn the_data_section_states_how_empty_the_whole_matrix_is() {
    use collab_core::data::{Rating, RatingsTable};
    // 10 users x 10 movies, 7 ratings: 7% filled, whatever the corner shows.
    let ratings = (0..7).map(|n| Rating { user: n, item: n, rating: 4.0, timestamp: 0 }).collect::<Vec<_>>();
    let mut table = RatingsTable { ratings, ..RatingsTable::default() };
    table.ratings.push(Rating { user: 9, item: 9, rating: 3.0, timestamp: 0 });
    table.ratings.push(Rating { user: 8, item: 8, rating: 3.0, timestamp: 0 });
    table.ratings.push(Rating { user: 8, item: 8, rating: 5.0, timestamp: 1 }); // a re-rating: one cell
    let summary = crate::state::DataSummary::of(&table);
    assert_eq!((summary.users, summary.items, summary.rated), (9, 9, 9));
    let said = super::data::density(&summary);
    assert!(said.starts_with("Of all 9 users × 9 movies = 81 cells, 9 hold a rating: 11.1%."), "{said}");
}

#[test]
fn a_stepped_batch_says_it_is_adams_step_and_that_every_row_moves() {
    let view = crate::protocol::BatchView { lr: 8e-4, users_touched: 60, items_touched: 62, ..Default::default() };
    let html = super::train::batch(&view);
    assert!(
        html.contains("This is Adam's step, not plain gradient descent") && html.contains("about lr = 8.00e-4"),
        "{html}"
    );
    assert!(
        html.contains("60 rows touched by this batch; the others moved too, by weight decay and by Adam's momentum")
    );
    assert!(!html.contains("only felt weight decay"));
}

#[test]
fn the_overfitting_pair_shares_one_fitted_axis_with_the_books_numbers() {
    let rows = |valid: [f64; 5]| -> Vec<EpochMetrics> {
        valid
            .iter()
            .enumerate()
            .map(|(e, &v)| EpochMetrics {
                epoch: e,
                train_loss: 0.9 - 0.1 * e as f64,
                valid_loss: v,
                rmse: v.sqrt(),
                seconds: 1.0,
            })
            .collect()
    };
    let range = crate::html::fitted([0.5, 0.95]);
    let book = super::overfit::chart(
        "wd 0.1",
        &rows([0.96, 0.89, 0.84, 0.82, 0.82]),
        range,
        Some(&super::overfit::FASTBOOK_WD_01),
    );
    assert_eq!(book.matches("class=\"book\"").count(), 5, "fastbook's five valid losses");
    assert!(book.contains("● fastbook's valid"));
    let plain = super::overfit::chart("wd 0.01", &rows([0.93, 0.9, 0.92, 0.94, 0.95]), range, None);
    assert_eq!(plain.matches("class=\"book\"").count(), 0);
    // Both charts carry the same axis labels: one shared, zoomed range.
    let ticks = |svg: &str| svg.matches("text-anchor=\"end\">").count();
    assert_eq!((ticks(&book), ticks(&plain)), (3, 3));
    assert!(book.contains(&format!(">{:.3}</text>", range.1)) && plain.contains(&format!(">{:.3}</text>", range.1)));
}

#[test]
fn map_labels_never_overlap_and_give_way_when_crowded() {
    let mut taken = Vec::new();
    // Ten dots on one spot: four labels fit around it (right, left, above, below), no more.
    let placed: Vec<_> =
        (0..10).filter_map(|_| crate::html::place_label(300.0, 200.0, 60.0, 600.0, &mut taken)).collect();
    assert_eq!(placed.len(), 4);
    for (n, a) in taken.iter().enumerate() {
        for b in &taken[n + 1..] {
            assert!(!(a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3), "{a:?} overlaps {b:?}");
        }
    }
    // A dot at the right edge puts its label on the left, inside the map.
    let mut taken = Vec::new();
    let (x, _) = crate::html::place_label(590.0, 100.0, 60.0, 600.0, &mut taken).unwrap();
    assert!(x + 60.0 <= 600.0, "{x}");
}

#[test]
fn the_map_colours_movies_by_genre_with_a_legend() {
    use super::learned::{legend, main_genre};
    // Toy Story: Animation, Children's, Comedy: Animation comes first.
    assert_eq!(main_genre(1 << 3 | 1 << 4 | 1 << 5).map(|g| g.0), Some(3));
    assert_eq!(main_genre(1 << 8).map(|g| g.0), Some(8), "Drama");
    assert_eq!(main_genre(1 << 10), None, "Film-Noir alone is grey");
    let read = crate::state::ModelRead {
        tables: None,
        labels: ["#na#", "A", "B"].map(String::from).into(),
        most_rated: vec![1, 2],
        listable: vec![1, 2],
        bias_ends: Default::default(),
        map: vec![(1, 0.1, 0.2), (2, -0.1, 0.3)],
        profiles: vec![],
        average: (vec![], 0.0),
        genres: vec![0, 1 << 15, 1 << 5],
        check: String::new(),
    };
    let said = legend(&read);
    assert!(said.contains("Sci-Fi") && said.contains("Comedy") && said.contains("other"), "{said}");
    assert!(!said.contains("Drama"), "only the genres on the map");
    assert_eq!(legend(&crate::state::ModelRead { genres: vec![0; 3], ..read }), "", "no genres, no legend");
}

#[test]
fn the_title_search_suggests_the_listable_movies_only() {
    // ml-1m's size: 3,883 titles, of which the 1,000 listable ones (most rated first).
    let n = 3884;
    let labels: Vec<String> = std::iter::once("#na#".to_string()).chain((1..n).map(|i| format!("movie {i}"))).collect();
    let listable: Vec<usize> = (1..=1000).map(|i| n - i).collect();
    let tables = collab_core::interpret::Tables {
        user_factors: vec![],
        item_factors: vec![0.0; 2 * n],
        k: 2,
        user_bias: vec![],
        item_bias: vec![],
        y_range: None,
    };
    let mut app = app();
    app.learned.read = Some(Ok(crate::state::ModelRead {
        tables: Some(tables),
        most_rated: listable[..crate::state::TO_RATE].to_vec(),
        listable: listable.clone(),
        bias_ends: Default::default(),
        map: vec![],
        profiles: vec![],
        average: (vec![], 0.0),
        genres: vec![0; n],
        check: String::new(),
        labels: labels.into(),
    }));
    let patches = render(&app);
    let options = drawn(&patches, "title-list", None).unwrap();
    // Not every title (110 KB here, megabytes at ml-25m's size, drawn again at every message).
    let want: String = listable.iter().map(|i| format!("<option value=\"movie {i}\">")).collect();
    assert_eq!(options, want);
}

#[test]
fn the_weight_decay_pair_says_only_what_its_losses_show() {
    use super::overfit::verdict;
    let rows = EpochMetrics::course;
    // The book's picture: at 0.01 the validation loss rises after its best; 0.1 closes the gap.
    let low = rows(&[(0.9, 0.93), (0.6, 0.92), (0.4, 0.95)]);
    let high = rows(&[(0.95, 0.96), (0.8, 0.86), (0.72, 0.82)]);
    let said = verdict(0.01, &low, 0.1, &high);
    assert!(
        said.contains("validation 0.950 (gap 0.550), after its best of 0.920: it rose, which is overfitting"),
        "{said}"
    );
    assert!(said.ends_with("a narrower gap and a better validation loss."), "{said}");
    // A fit too short to overfit: nothing is claimed that did not happen.
    let low = rows(&[(1.2, 1.1), (1.0, 0.95)]);
    let high = rows(&[(1.25, 1.12), (1.05, 1.01)]);
    let said = verdict(0.01, &low, 0.1, &high);
    assert!(!said.contains("rose") && said.ends_with("too short, or the data too small, to overfit."), "{said}");
}

#[test]
fn a_title_of_a_megabyte_reaches_no_element_longer_than_cut() {
    use collab_core::data::{CrossTable, movielens};
    // u.item's movie 1 has a 1 MB title and is rated by everyone (so it is on the sheet).
    let long = "L".repeat(1 << 20);
    let u_item = format!("1|{long}|\n2|Heat (1995)|\n3|Up (2009)|\n");
    let u_data: String =
        (1..=20).flat_map(|u| (1..=3).map(move |i| format!("{u}\t{i}\t{}\t1\n", 1 + (u + i) % 5))).collect();
    let files = [("u.data".to_string(), u_data.into_bytes()), ("u.item".to_string(), u_item.into_bytes())];
    let (table, _) = movielens::parse_named(&files).unwrap();
    let mut app = app();
    app.sheet.sheet = collab_core::sheet::Sheet::new(CrossTable::top(&table, 15), SheetSettings::default(), 1);
    app.data.summary = crate::state::DataSummary::of(&table);
    // Every text or attribute value drawn that holds part of the title is short; the
    // sheet's cells (one per factor and rating of its column) hold it cut to 60.
    let run = "L".repeat(50);
    let (mut seen, mut longest) = (0, 0);
    for patch in render(&app) {
        let (Patch::Text(_, s) | Patch::Html(_, s) | Patch::Attr(_, _, s)) = patch else { continue };
        for piece in s.split(['<', '>', '"']).filter(|p| p.contains(&run)) {
            seen += 1;
            // A line of the code cells holds the title as a Python string: quotes, indent, comma.
            let bare = piece.replace("&quot;", "");
            longest = longest.max(bare.trim().trim_end_matches(',').chars().count());
        }
    }
    assert!(seen > 20, "the title is drawn in the sheet's header and cells ({seen} times)");
    assert!(longest <= 200, "a value of {longest} characters holds the title");
}

#[test]
fn code_is_drawn_a_line_an_element_and_escaped() {
    assert_eq!(super::code::lines("a<b\n  c"), "<span>a&lt;b</span>\n<span>  c</span>");
    // The spreadsheet's cell carries every number and title of the sheet, a line each.
    let patches = render(&app());
    let sheet = patches.iter().find_map(|p| match p {
        Patch::Html(id, s) if *id == "code-sheet" => Some(s),
        _ => None,
    });
    let sheet = sheet.expect("the sheet's code is drawn");
    assert!(sheet.len() > 2000, "the page's numbers are in it");
    assert!(sheet.split('\n').all(|l| l.len() < 400), "no line of the cell is long");
}

#[test]
fn section_9_says_which_model_is_being_read_and_keeps_the_one_shown() {
    use crate::state::Reading;
    let mut app = app();
    app.learned.reading = Some(Reading::File("m".repeat(100)));
    app.learned.message = "an older search's words".into();
    let patches = render(&app);
    assert_eq!(drawn(&patches, "learned", Some("data-state")), Some("reading"));
    let said = drawn(&patches, "learned-message", None).unwrap();
    assert!(said.starts_with("reading mmm") && said.len() < 80, "a long name is cut: {said}");
    app.learned.reading = Some(Reading::Fit(3));
    let patches = render(&app);
    assert_eq!(
        drawn(&patches, "learned-message", None),
        Some("reading the trained model: its tables, biases, map and taste profiles…")
    );
    app.learned.reading = None;
    assert_eq!(drawn(&render(&app), "learned", Some("data-state")), Some("pending"));
}

#[test]
fn the_errors_section_draws_every_point_at_its_exact_numbers_and_names_the_worst() {
    use crate::state::Errors;
    use collab_core::data::{Encoded, Vocab};
    use collab_core::model::{ModelKind, ModelSpec};
    use collab_core::residuals::Residuals;
    let mut app = app();
    let spec = ModelSpec { n_factors: 3, ..ModelSpec::new(ModelKind::DotProductBias, 4, 4) };
    let users = Vocab::new((1..4).map(|i| i.to_string()).collect(), true);
    let items = Vocab::new(["Alien (1979)", "Brazil (1985)", "Casablanca (1942)"].map(String::from).to_vec(), false);
    let file = crate::reading::ModelFile { spec, items: items.labels, note: None };
    let trained = |fitted| crate::state::Trained::new(file.clone(), crate::state::SavedModel::Fit(1), fitted);
    // Without its validation ratings (a model from a file), the section says why it is empty.
    app.learned.model = Some(trained(Default::default()));
    let patches = render(&app);
    assert_eq!(drawn(&patches, "errors", Some("data-state")), Some("pending"));
    assert_eq!(drawn(&patches, "errors-summary", None), Some(super::errors::WAITING));
    assert_eq!(drawn(&patches, "errors-scatter", None), Some(""));

    let train = Encoded { users: vec![1, 1, 2], items: vec![1, 2, 1], ratings: vec![4.0, 3.0, 5.0] };
    let valid = Encoded { users: vec![1, 0, 3], items: vec![3, 1, 2], ratings: vec![2.0, 4.5, 5.0] };
    let predicted = [3.25, 3.9, 1.5];
    let residuals = Residuals::new(&valid, &predicted, &train);
    // The worst predictions' users, by id, as the fit's worker names them.
    let worst_users = residuals.worst.iter().map(|w| users.labels[w.user as usize].clone()).collect();
    app.learned.model = Some(trained(crate::state::Fitted { errors: Errors::Coming, ..Default::default() }));
    let patches = render(&app);
    assert_eq!(drawn(&patches, "errors", Some("data-state")), Some("pending"));
    assert_eq!(drawn(&patches, "errors-summary", None), Some(super::errors::COMING), "a fit's are on their way");
    let errors = Errors::Ready(Box::new(residuals.clone()), worst_users);
    app.learned.model = Some(trained(crate::state::Fitted { errors, ..Default::default() }));
    let patches = render(&app);
    assert_eq!(drawn(&patches, "errors", Some("data-state")), Some("ready"));
    let scatter = drawn(&patches, "errors-scatter", None).unwrap();
    let dots: Vec<f32> =
        scatter.split("data-predicted=\"").skip(1).map(|s| s[..s.find('"').unwrap()].parse().unwrap()).collect();
    assert_eq!(dots, predicted, "one dot a validation rating, at the model's exact prediction");
    assert!(scatter.contains("data-actual=\"4.5\""), "half stars keep their value");
    let summary = drawn(&patches, "errors-summary", None).unwrap();
    assert!(
        summary.starts_with("The 3 validation ratings") && summary.contains(&format!("{:.4}", residuals.rmse)),
        "{summary}"
    );
    // The worst first, by name: user 3 rated Brazil 5 and was predicted 1.5.
    let worst = drawn(&patches, "errors-worst", None).unwrap();
    assert!(
        worst.starts_with("<tr><td>3</td><td>Brazil (1985)</td><td>5</td><td>1.50</td><td>-3.50</td></tr>"),
        "{worst}"
    );
    assert!(worst.contains("#na# (not in training)"), "index 0 is said for what it is");
    // Cold start, by the user's training ratings: user 0 and user 3 had none, user 1 two.
    let users = drawn(&patches, "errors-users", None).unwrap();
    assert!(users.starts_with("<tr><td>none</td><td>2</td>"), "{users}");
    assert!(users.contains("<tr><td>1–4</td><td>1</td><td>1.250</td>"), "{users}");
    assert!(users.contains("<tr><td>100 or more</td><td>0</td><td>—</td>"), "{users}");
}

#[test]
fn the_map_plays_back_its_epochs_with_axes_turned_to_agree_and_ends_on_the_trained_map() {
    use super::learned::epoch_label;
    use collab_core::interpret::align_back as aligned;
    let trained = vec![(1, 2.0, 1.0), (2, -1.0, 0.5), (3, 0.5, -2.0)];
    // Epoch 0 came out of the PCA with its x axis the other way; the last equals the trained map.
    let maps = vec![
        vec![(1, -0.2, 0.1), (2, 0.1, 0.0), (3, -0.1, -0.3)],
        vec![(1, -1.0, 0.8), (2, 0.7, 0.4), (3, -0.2, -1.5)],
        trained.clone(),
    ];
    let frames = aligned(&maps, &trained);
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[2], trained, "the last frame is the trained model's map");
    assert_eq!(frames[1], vec![(1, 1.0, 0.8), (2, -0.7, 0.4), (3, 0.2, -1.5)], "x turned, y kept");
    assert_eq!(frames[0], vec![(1, 0.2, 0.1), (2, -0.1, 0.0), (3, 0.1, -0.3)]);
    assert_eq!(epoch_label(0, 2), "untrained: the random start (slide to see 2 epochs of training)");
    assert_eq!(epoch_label(1, 2), "after epoch 0 of 2");
    assert_eq!(epoch_label(2, 2), "trained: after epoch 1 (the model below)");
}

#[test]
fn the_pages_words_about_the_map_name_its_own_numbers() {
    let page = include_str!("../../../../index.html");
    assert!(page.contains(&format!("The {} most rated movies; hover", crate::state::MAP_MOVIES)));
    assert!(page.contains("of the 1,000 most rated titles") && crate::state::MAP_FIT == 1000);
}

#[test]
fn the_weight_decay_pair_shows_its_maps_at_one_epoch_of_a_shared_slider() {
    let mut app = app();
    let frame = |s: f32| vec![(1, s, s), (2, -s, -0.5 * s), (3, 0.5 * s, -s)];
    let with = |wd, maps: Vec<Vec<(usize, f32, f32)>>| {
        let mut f = fit(Phase::Done, Some(Progress::default()));
        f.settings.wd = wd;
        f.maps = maps;
        f.map_titles = [(1, "Alien (1979)"), (2, "Brazil (1985)"), (3, "Casablanca (1942)")]
            .into_iter()
            .map(|(i, t)| (i, t.to_string()))
            .collect();
        f
    };
    // The decayed fit's last map came out of its PCA with both axes the other way.
    app.overfit.pair = Some([with(0.01, vec![frame(0.01), frame(1.0)]), with(0.1, vec![frame(0.01), frame(-0.4)])]);
    let patches = render(&app);
    assert_eq!(drawn(&patches, "overfit-maps", None), None);
    assert!(patches.contains(&Patch::Flag("overfit-maps", "hidden", false)));
    assert_eq!(drawn(&patches, "overfit-map-epoch", Some("max")), Some("1"));
    assert_eq!(drawn(&patches, "overfit-map-label", None), Some("after epoch 0 (trained)"));
    let low = drawn(&patches, "overfit-map-low", None).unwrap();
    assert_eq!(low.matches("<circle").count(), 3);
    assert!(low.contains("Brazil (1985)"));
    assert_eq!(drawn(&patches, "overfit-map-high-caption", None), Some("weight decay 0.1"));
    let high = drawn(&patches, "overfit-map-high", None).unwrap();
    let first_dot = |svg: &str| svg[svg.find("cx=\"").unwrap()..].split('"').nth(1).unwrap().parse::<f32>().unwrap();
    assert!(
        first_dot(low) > 150.0 && first_dot(high) > 150.0,
        "turned to agree with its start: Alien to the right in both"
    );
    // At epoch 0 both maps are the same random start.
    app.overfit.map_epoch = Some(0);
    let patches = render(&app);
    assert_eq!(drawn(&patches, "overfit-map-low", None), drawn(&patches, "overfit-map-high", None));
    assert_eq!(drawn(&patches, "overfit-map-label", None), Some("untrained (both start from the same random factors)"));
    // No maps while the pair trains.
    app.overfit.pair.as_mut().unwrap()[1].phase = Phase::Running;
    assert!(render(&app).contains(&Patch::Flag("overfit-maps", "hidden", true)));
}

#[test]
fn a_load_under_way_draws_its_bar_and_cancel_and_a_finished_one_hides_them() {
    use crate::state::{Loading, Origin, WorkerState};
    let mut app = app();
    let shown = |app: &App| {
        let patches = render(app);
        let bar = (drawn(&patches, "data-bar", Some("value")), drawn(&patches, "data-bar", Some("max")));
        let styles = (drawn(&patches, "data-bar", Some("style")), drawn(&patches, "data-cancel", Some("style")));
        (
            bar.0.map(str::to_string),
            bar.1.map(str::to_string),
            styles.0.map(str::to_string),
            styles.1.map(str::to_string),
        )
    };
    let hidden = Some("display: none".to_string());
    assert_eq!((shown(&app).2, shown(&app).3), (hidden.clone(), hidden.clone()));
    app.data.loading = Some(Loading {
        id: 7,
        origin: Origin::Picked,
        files: vec![("ml-1m.zip".into(), 4 << 20)],
        read: 1 << 20,
        total: 4 << 20,
        ratings: 0,
        worker: WorkerState::default(),
    });
    assert_eq!(shown(&app), (Some("1048576".into()), Some("4194304".into()), Some(String::new()), Some(String::new())));
}
