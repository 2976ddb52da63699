//! The code behind the cells: for each section, the fastai / PyTorch lines that compute
//! the same thing with the page's current settings and numbers, shown beside the section
//! and exported as a Jupyter notebook (nbformat 4), so that homework goes on in the real
//! tools. The cells run top to bottom in that order: each uses only what the cells
//! above it define. Pure: built from the state, tested natively here, and run in
//! fastai by `scripts/check-notebook.sh`.

use collab_core::sheet::{ITEM_BIAS, ITEM_FACTORS, Sheet, USER_BIAS, USER_FACTORS};
use collab_core::train::WdKind;
use serde_json::json;

use crate::state::{App, LIST_MIN_RATINGS, MAP_FIT};
use collab_core::data::{Layout, Recognised, Release};
use collab_core::model::ModelKind;

/// One section's code: its element id suffix, a line of prose, and the code.
pub struct CodeCell {
    pub section: &'static str,
    pub title: String,
    pub code: String,
}

/// Steps the spreadsheet cell takes, each printed: after them its MSE is the page's
/// after as many Steps on every rated cell.
pub const SHEET_STEPS: usize = 10;

/// Every section's code, in page order, with the settings the page holds now.
pub fn cells(app: &App) -> Vec<CodeCell> {
    let c = &app.train.controls.0;
    let cell = |section, title: &str, code: String| CodeCell { section, title: title.to_string(), code };
    let model = Model::of(&c[0]);
    let files = Files::of(app);
    vec![
        cell("data", &format!("Load {} and look at it", files.name), data(c, &files)),
        cell("factors", "Latent factors by hand", factors(&app.factors.values)),
        cell("sheet", "The spreadsheet: a dot-product model trained by plain gradient descent", spreadsheet(app)),
        cell("lookup", "An embedding is a one-hot product done as a lookup", lookup(app)),
        cell("bias", "DotProductBias from scratch: biases, and sigmoid_range", bias_model()),
        cell(
            "decay",
            "Weight decay, as a term of the loss and as fastai applies it",
            decay(app.sheet.sheet.settings.wd),
        ),
        cell("train", &format!("Train on {} with fastai", files.name), train(c)),
        cell("errors", "Where the model is wrong: predictions against ratings", errors()),
        cell("learned", "What the model learned", learned(model, app)),
        cell("you", "You, as a new user", you(model, app)),
    ]
}

/// A Python string literal (JSON's escapes are Python's).
fn py_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".into())
}

/// A Python float literal that reads back as exactly this f32 (NaN as `nan`).
fn py_f32(x: f32) -> String {
    if x.is_nan() { "nan".into() } else { format!("{x:?}") }
}

/// A Python list of rows, one line each.
fn py_rows(rows: impl Iterator<Item = Vec<f32>>, indent: &str) -> String {
    let lines: Vec<String> =
        rows.map(|r| format!("{indent}[{}]", r.iter().map(|&x| py_f32(x)).collect::<Vec<_>>().join(", "))).collect();
    format!("[\n{},\n]", lines.join(",\n"))
}

/// The files the data cell reads: those of the release the page loaded, as GroupLens
/// ships it (its folder, separators and encoding), or MovieLens-100k's (which fastai can
/// download) when the page holds no release's data.
pub struct Files {
    /// The data's name in the cells' titles.
    pub name: String,
    /// The layout read.
    pub layout: Layout,
    /// The folder (`None`: the data is none of GroupLens's releases, its files beside
    /// the notebook).
    pub folder: Option<&'static str>,
    /// The titles file is latin-1 (else UTF-8).
    pub latin1: bool,
    /// fastai downloads it if the folder is missing (MovieLens-100k only).
    pub download: bool,
}

impl Files {
    pub fn of(app: &App) -> Self {
        let lesson = Files {
            name: "MovieLens-100k".into(),
            layout: Layout::Tab,
            folder: Some(Release::Ml100k.folder()),
            latin1: true,
            download: true,
        };
        match app.data.summary.recognised {
            // The demo table, and MovieLens-100k's layout at any size, read as the lesson does.
            None | Some(Recognised { layout: Layout::Tab, .. }) => lesson,
            Some(Recognised { release: Some(r), layout }) => Files {
                name: r.name().into(),
                layout,
                folder: Some(r.folder()),
                latin1: r.latin1_titles(),
                download: false,
            },
            // The page reads titles as UTF-8 and falls back to latin-1; latin-1 reads any
            // bytes, so a `movies.dat` of either kind loads in pandas too (GroupLens's csv files are UTF-8).
            Some(Recognised { release: None, layout }) => Files {
                name: format!("your {}", layout.ratings_file()),
                layout,
                folder: None,
                latin1: layout == Layout::Dat,
                download: false,
            },
        }
    }

    /// The lines that read `ratings` (user, movie, rating, timestamp) and `titles`
    /// (movie, title), as pandas reads each layout.
    fn read(&self) -> String {
        let (ratings_file, titles_file) = (self.layout.ratings_file(), self.layout.titles_file());
        let encoding = if self.latin1 { ", encoding='latin-1'" } else { "" };
        let folder = match self.folder {
            Some(folder) => format!("folder = Path({})\n", py_str(folder)),
            None => "folder = Path('.')   # the folder holding your files\n".to_string(),
        };
        let find = if self.download {
            format!(
                "# {name}: a folder named {f} beside this notebook ({ratings_file} and {titles_file}), else fastai downloads it.\n\
                 {folder}\
                 if not (folder/{r}).exists():\n\
                 \x20   folder = untar_data(URLs.ML_100k)\n",
                name = self.name,
                f = self.folder.unwrap_or("."),
                r = py_str(ratings_file),
            )
        } else {
            format!(
                "# {name}, as GroupLens ships it: {ratings_file} and {titles_file} in the folder below.\n\
                 {folder}\
                 if not (folder/{r}).exists():\n\
                 \x20   raise FileNotFoundError(f'Put the data beside this notebook (unzipped): this cell reads {{folder/{r}}} and {{folder/{t}}}')\n",
                name = self.name,
                r = py_str(ratings_file),
                t = py_str(titles_file),
            )
        };
        let read = match self.layout {
            Layout::Tab => format!(
                "ratings = pd.read_csv(folder/'u.data', sep='\\t', header=None,\n\
                 \x20                     names=['user', 'movie', 'rating', 'timestamp'])\n\
                 titles = pd.read_csv(folder/'u.item', sep='|'{encoding}, header=None,\n\
                 \x20                    usecols=(0, 1), names=('movie', 'title'))\n"
            ),
            // '::' needs pandas' Python engine, slow on millions of lines: the ratings hold
            // no ':' of their own, so the fast engine splits on ':' and keeps every other field.
            Layout::Dat => format!(
                "ratings = pd.read_csv(folder/'ratings.dat', sep=':', header=None, usecols=(0, 2, 4, 6))\n\
                 ratings.columns = ['user', 'movie', 'rating', 'timestamp']\n\
                 titles = pd.read_csv(folder/'movies.dat', sep='::', engine='python'{encoding}, header=None,\n\
                 \x20                    usecols=(0, 1), names=('movie', 'title'))\n"
            ),
            Layout::Csv => {
                "ratings = pd.read_csv(folder/'ratings.csv').rename(columns={'userId': 'user', 'movieId': 'movie'})\n\
                 titles = pd.read_csv(folder/'movies.csv', usecols=(0, 1)).rename(columns={'movieId': 'movie'})\n"
                    .to_string()
            }
        };
        find + &read
    }
}

fn data(c: &[String; 10], files: &Files) -> String {
    let [_, _, _, _, _, _, bs, seed, _, _] = c;
    format!(
        "from fastai.collab import *\n\
         from fastai.tabular.all import *\n\
         \n\
         {}\
         ratings = ratings.merge(titles)\n\
         filled = len(ratings) / (ratings.user.nunique() * ratings.movie.nunique())\n\
         print(f'{{filled:.1%}} of the users x movies matrix is rated')\n\
         \n\
         # What every later cell trains on: titles as the items, a fifth of the ratings held out.\n\
         dls = CollabDataLoaders.from_df(ratings, item_name='title', bs={bs}, seed={seed})\n\
         n_users, n_movies = len(dls.classes['user']), len(dls.classes['title'])\n\
         print(dls.classes['title'][:3], n_users, n_movies)   # '#na#' first: index 0 is for what training never saw\n\
         ratings.head()",
        files.read()
    )
}

fn factors(values: &[f32; 12]) -> String {
    let row = |v: &[f32]| v.iter().map(|&x| py_f32(x)).collect::<Vec<_>>().join(", ");
    let names = crate::state::FACTOR_MOVIES.map(|m| m.0);
    format!(
        "import torch\n\
         \n\
         # Three made-up factors per movie and for you: sci-fi, action, old (the page's numbers).\n\
         taste = torch.tensor([{}])   # yours\n\
         films = {{\n\
         \x20   {}: torch.tensor([{}]),\n\
         \x20   {}: torch.tensor([{}]),\n\
         \x20   {}: torch.tensor([{}]),\n\
         }}\n\
         # The match: multiply pairwise and add (a dot product). Bigger is a better match.\n\
         {{title: round((taste * factors).sum().item(), 3) for title, factors in films.items()}}",
        row(&values[..3]),
        py_str(names[0]),
        row(&values[3..6]),
        py_str(names[1]),
        row(&values[6..9]),
        py_str(names[2]),
        row(&values[9..12]),
    )
}

fn table(sheet: &Sheet, path: &str) -> Vec<Vec<f32>> {
    let t = sheet.weights.get(path).expect("the sheet has its four tables");
    t.values.chunks(t.shape[1].max(1)).map(<[f32]>::to_vec).collect()
}

fn spreadsheet(app: &App) -> String {
    let sheet = &app.sheet.sheet;
    let s = &sheet.settings;
    let cross = &sheet.cross;
    let titles: Vec<String> = cross.titles.iter().map(|t| py_str(t)).collect();
    let known = py_rows(cross.cells.iter().map(|r| r.iter().map(|c| c.unwrap_or(f32::NAN)).collect()), "    ");
    let mut code = format!(
        "import torch\n\
         \n\
         # The page's spreadsheet as it stands: the ratings its {n_u} busiest users (rows) gave its {n_i} most\n\
         # rated movies (columns), NaN where a user did not rate, and every number of its tables, exactly.\n\
         user_ids = {users:?}\n\
         movie_titles = [\n{titles}\n]\n\
         nan = float('nan')\n\
         known = torch.tensor({known})\n\
         rated = ~known.isnan()\n\
         users = torch.tensor({user_rows}).requires_grad_()   # one row of {k} factors per user\n\
         movies = torch.tensor({movie_rows}).requires_grad_()   # one row per movie (the page draws them as columns)\n",
        n_u = cross.users.len(),
        n_i = cross.items.len(),
        users = cross.users,
        titles = titles.iter().map(|t| format!("    {t},")).collect::<Vec<_>>().join("\n"),
        k = s.k,
        user_rows = py_rows(table(sheet, USER_FACTORS).into_iter(), "    "),
        movie_rows = py_rows(table(sheet, ITEM_FACTORS).into_iter(), "    "),
    );
    // Held-out cells: the loss a step minimises leaves them out, and their MSE is printed apart.
    let held = sheet.held_cells();
    let (cells, held_print) = if held.is_empty() {
        ("rated", String::new())
    } else {
        let list: Vec<String> = held.iter().map(|(u, i)| format!("({u}, {i})")).collect();
        code.push_str(&format!(
            "held = torch.zeros_like(rated)   # the page's held-out cells (hatched): no step sees them
             for u, m in [{}]:
                 held[u, m] = True
             train = rated & ~held
",
            list.join(", ")
        ));
        ("train", ", held-out MSE {mse(held).item():.4f}".to_string())
    };
    let column = |path| table(sheet, path).into_iter().map(|r| py_f32(r[0])).collect::<Vec<_>>().join(", ");
    if s.bias {
        code.push_str(&format!(
            "user_bias = torch.tensor([{}]).reshape(-1, 1).requires_grad_()   # a column: one per user\n\
             movie_bias = torch.tensor([{}]).reshape(1, -1).requires_grad_()   # a row: one per movie\n\
             params = (users, movies, user_bias, movie_bias)\n",
            column(USER_BIAS),
            column(ITEM_BIAS)
        ));
    } else {
        code.push_str("params = (users, movies)\n");
    }
    let x = if s.bias { "users @ movies.T + user_bias + movie_bias" } else { "users @ movies.T" };
    let pred = if s.y_range { format!("torch.sigmoid({x}) * 5.5   # sigmoid_range(x, 0, 5.5)") } else { x.to_string() };
    let (l2, decoupled) = match s.wd_kind {
        WdKind::L2 => (" + wd * sum((p ** 2).sum() for p in params)   # the L2 term", ""),
        WdKind::Decoupled => ("", "            p *= 1 - lr * wd   # decoupled weight decay, before the step\n"),
    };
    if app.sheet.batch_size > 0 {
        code.push_str(&format!(
            "# The page steps on mini-batches of {} rated cells drawn by its own generator; this cell steps on\n\
             # every rated cell, as the page does with \"step on: all rated cells\".\n",
            app.sheet.batch_size
        ));
    }
    code.push_str(&format!(
        "lr, wd = {lr}, {wd}\n\
         \n\
         def mse(cells={cells}):\n\
         \x20   preds = {pred}\n\
         \x20   return ((preds - known)[cells] ** 2).mean()\n\
         \n\
         # The page's Step, {SHEET_STEPS} times: one step of plain gradient descent on every rated cell{stepped}.\n\
         print(f'before: MSE {{mse().item():.4f}}{held_print}')\n\
         for step in range(1, {stop}):\n\
         \x20   loss = mse(){l2}\n\
         \x20   loss.backward()\n\
         \x20   with torch.no_grad():\n\
         \x20       for p in params:\n\
         {decoupled}\
         \x20           p -= lr * p.grad\n\
         \x20           p.grad.zero_()\n\
         \x20   print(f'step {{step}}: MSE {{mse().item():.4f}}{held_print}')",
        stepped = if held.is_empty() { "" } else { " but the held-out ones" },
        lr = s.lr,
        wd = s.wd,
        stop = SHEET_STEPS + 1,
    ));
    code
}

fn lookup(app: &App) -> String {
    let (user, movie) = app.lookup_cell().unwrap_or((0, 0));
    let sheet = &app.sheet.sheet;
    let bias = if sheet.settings.bias { " + user_bias[user, 0] + movie_bias[0, movie]" } else { "" };
    let squash = if sheet.settings.y_range { "torch.sigmoid(x) * 5.5" } else { "x" };
    format!(
        "from torch.nn.functional import one_hot\n\
         \n\
         user, movie = {user}, {movie}   # the rating the page's lookup shows (row and column of the sheet)\n\
         picked = one_hot(torch.tensor(user), len(users)).float()\n\
         by_product = picked @ users      # multiplies every row by 0 or 1: keeps one\n\
         by_index = users[user]           # what an Embedding does: fetch the row\n\
         print(torch.allclose(by_product, by_index))\n\
         x = (users[user] * movies[movie]).sum(){bias}\n\
         print(f'prediction {{({squash}).item():.4f}}, rating {{known[user, movie].item()}}')"
    )
}

fn bias_model() -> String {
    "def create_params(shape):\n\
     \x20   # A table the optimiser trains, started near zero: no Embedding module, just a tensor.\n\
     \x20   return nn.Parameter(torch.zeros(*shape).normal_(0, 0.01))\n\
     \n\
     class DotProductBias(Module):\n\
     \x20   def __init__(self, n_users, n_movies, n_factors, y_range=(0, 5.5)):\n\
     \x20       self.user_factors = create_params([n_users, n_factors])\n\
     \x20       self.movie_factors = create_params([n_movies, n_factors])\n\
     \x20       self.user_bias = create_params([n_users])     # one number per user: no second axis\n\
     \x20       self.movie_bias = create_params([n_movies])\n\
     \x20       self.y_range = y_range\n\
     \n\
     \x20   def forward(self, x):\n\
     \x20       user, movie = x[:, 0], x[:, 1]\n\
     \x20       dot = (self.user_factors[user] * self.movie_factors[movie]).sum(dim=1)   # shape (bs,)\n\
     \x20       dot = dot + self.user_bias[user] + self.movie_bias[movie]                # (bs,) + (bs,): still (bs,)\n\
     \x20       return sigmoid_range(dot, *self.y_range)\n\
     \n\
     model = DotProductBias(n_users, n_movies, 50)\n\
     xb, yb = dls.one_batch()\n\
     preds = model(xb)\n\
     print(xb.shape, preds.shape, yb.shape)   # (bs, 2) indices in; (bs,) predictions for (bs, 1) ratings\n\
     print(preds[:3])   # near 2.75: sigmoid(0) * 5.5, before any training"
        .into()
}

fn decay(sheet_wd: f64) -> String {
    let wd = if sheet_wd > 0.0 { sheet_wd } else { 0.1 };
    format!(
        "# The lesson's explanation: a term added to the loss, so that each weight's gradient gains 2·wd·w.\n\
         wd = {wd}\n\
         mse = MSELossFlat()(model(xb), yb)\n\
         loss = mse + wd * sum((p ** 2).sum() for p in model.parameters())\n\
         print(f'MSE {{mse.item():.4f}}; with the L2 term {{loss.item():.4f}}')\n\
         \n\
         # fastai's Adam does something else by default (decoupled weight decay): no term in the loss;\n\
         # before each step every weight is multiplied by (1 - lr·wd). Section 8's cell trains that way.\n\
         # For the lesson's L2 form instead: opt_func=partial(Adam, decouple_wd=False), which adds wd·w to\n\
         # the gradient, so pass twice the page's weight decay ({}) to get its 2·wd·w.",
        2.0 * wd
    )
}

/// The model section 8 trains, as the later cells need to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    /// collab_learner's EmbeddingDotBias.
    DotBias,
    /// `DotProductBias` from the bias cell.
    Scratch,
    /// A dot product of two Embeddings, squashed or not.
    Dot { y_range: bool },
    /// CollabNN or EmbeddingNN: no dot product to read.
    Neural,
}

impl Model {
    fn of(key: &str) -> Self {
        match collab_core::settings::model(key) {
            Ok((ModelKind::DotProductBias, _)) => Self::DotBias,
            Ok((ModelKind::Scratch, _)) => Self::Scratch,
            Ok((ModelKind::DotProduct, y_range)) => Self::Dot { y_range },
            _ => Self::Neural,
        }
    }

    /// Python lines that name the trained tables `user_w, movie_w, user_b, movie_b` (biases
    /// zero for a model without them), or `None` for a neural model.
    fn tables(self) -> Option<&'static str> {
        Some(match self {
            Self::DotBias => {
                "user_w, movie_w = learn.model.u_weight.weight, learn.model.i_weight.weight   # collab_learner's names\n\
                 user_b, movie_b = learn.model.u_bias.weight.squeeze(1), learn.model.i_bias.weight.squeeze(1)\n"
            }
            Self::Scratch => {
                "user_w, movie_w = learn.model.user_factors, learn.model.movie_factors\n\
                 user_b, movie_b = learn.model.user_bias, learn.model.movie_bias\n"
            }
            Self::Dot { .. } => {
                "user_w, movie_w = learn.model.user_factors.weight, learn.model.movie_factors.weight\n\
                 user_b, movie_b = torch.zeros(len(user_w)), torch.zeros(len(movie_w))   # this model has no biases\n"
            }
            Self::Neural => return None,
        })
    }

    fn has_bias(self) -> bool {
        matches!(self, Self::DotBias | Self::Scratch)
    }

    fn squash(self) -> &'static str {
        match self {
            Self::Dot { y_range: false } => "x",
            _ => "sigmoid_range(x, 0, 5.5)",
        }
    }
}

fn train(c: &[String; 10]) -> String {
    let [model, factors, epochs, lr, wd, wd_kind, _bs, _seed, _device, optim] = c;
    let wd_value: f64 = wd.parse().unwrap_or(0.1);
    let (opt, wd) = if wd_kind == "l2" {
        (
            ", opt_func=partial(Adam, decouple_wd=False)",
            format!("{}  # fastai's L2 adds wd·w: twice {wd} for the page's 2·wd·w", 2.0 * wd_value),
        )
    } else {
        ("", wd.clone())
    };
    let learner = match Model::of(model) {
        Model::DotBias => format!("learn = collab_learner(dls, n_factors={factors}, y_range=(0, 5.5){opt})"),
        Model::Scratch => format!(
            "# The bias cell's DotProductBias, trained.\n\
             learn = Learner(dls, DotProductBias(n_users, n_movies, {factors}), loss_func=MSELossFlat(){opt})"
        ),
        Model::Dot { y_range } => {
            let squash = if y_range { "sigmoid_range(dot, 0, 5.5)" } else { "dot   # no sigmoid_range: any number" };
            format!(
                "class DotProduct(Module):\n\
                 \x20   def __init__(self, n_users, n_movies, n_factors):\n\
                 \x20       self.user_factors = Embedding(n_users, n_factors)\n\
                 \x20       self.movie_factors = Embedding(n_movies, n_factors)\n\
                 \n\
                 \x20   def forward(self, x):\n\
                 \x20       dot = (self.user_factors(x[:, 0]) * self.movie_factors(x[:, 1])).sum(dim=1)\n\
                 \x20       return {squash}\n\
                 \n\
                 learn = Learner(dls, DotProduct(n_users, n_movies, {factors}), loss_func=MSELossFlat(){opt})"
            )
        }
        Model::Neural if model == "nn" => format!(
            "class CollabNN(Module):\n\
             \x20   def __init__(self, user_sz, movie_sz, y_range=(0, 5.5), n_act=100):\n\
             \x20       self.user_factors = Embedding(*user_sz)\n\
             \x20       self.movie_factors = Embedding(*movie_sz)\n\
             \x20       self.layers = nn.Sequential(nn.Linear(user_sz[1] + movie_sz[1], n_act), nn.ReLU(), nn.Linear(n_act, 1))\n\
             \x20       self.y_range = y_range\n\
             \n\
             \x20   def forward(self, x):\n\
             \x20       both = torch.cat((self.user_factors(x[:, 0]), self.movie_factors(x[:, 1])), dim=1)\n\
             \x20       return sigmoid_range(self.layers(both), *self.y_range)\n\
             \n\
             learn = Learner(dls, CollabNN(*get_emb_sz(dls)), loss_func=MSELossFlat(){opt})"
        ),
        Model::Neural => {
            format!("learn = collab_learner(dls, use_nn=True, y_range=(0, 5.5), layers=[100, 50]{opt})")
        }
    };
    // fastai's Learner has fastai's Adam; the page's other optimizers are said, not faked.
    let optimizer = match optim.parse::<collab_core::train::OptimizerKind>() {
        Ok(kind) if kind != collab_core::train::OptimizerKind::Adam => format!(
            "# The page trained with {} ({}); fastai's Learner has no such optimizer here, so this\n\
             # cell trains with fastai's Adam, the lesson's: expect other losses.\n",
            kind.key(),
            kind.describe()
        ),
        _ => String::new(),
    };
    format!(
        "# fastai draws its own starting weights, so its losses differ a little from the page's.\n\
         {optimizer}{learner}\n\
         learn.fit_one_cycle({epochs}, {lr}, wd={wd})"
    )
}

/// The user the page last recommended for (user 1 until then), as a Python literal of
/// the user column's type (MovieLens' user ids are numbers).
fn rec_user(app: &App) -> String {
    let user = app.learned.recs.as_ref().map_or("1", |r| r.0.trim());
    if user.parse::<i64>().is_ok() { user.to_string() } else { py_str(user) }
}

/// Section "errors": the page's numbers (`collab_core::residuals`) as pandas computes them.
fn errors() -> String {
    let edges: Vec<String> = collab_core::residuals::EDGES[1..].iter().map(|e| (e - 1).to_string()).collect();
    format!(
        "# Every validation rating against the model's prediction of it (show_results shows a few).\n\
         preds, targs = learn.get_preds()   # the validation split, in its order\n\
         valid = dls.valid_ds.items[['user', 'title', 'rating']].copy()   # user, title: indices into dls.classes\n\
         valid['predicted'] = preds.flatten().numpy()\n\
         valid['error'] = valid['predicted'] - valid['rating']\n\
         rmse = lambda e: (e ** 2).mean() ** 0.5\n\
         print(f\"{{len(valid)}} validation ratings, RMSE {{rmse(valid['error']):.4f}}\")\n\
         print(valid.groupby('rating')['predicted'].agg(['count', 'mean']))   # the scatter's columns\n\
         \n\
         # Cold start: the error by how many training ratings the user (or the movie) had.\n\
         edges = [-1, {edges}, float('inf')]   # none, 1-4, 5-9, ... 100 or more\n\
         for col in ['user', 'title']:\n\
         \x20   had = valid[col].map(dls.train_ds.items[col].value_counts()).fillna(0)\n\
         \x20   print(valid.groupby(pd.cut(had, edges), observed=False)['error'].agg(['count', rmse]))\n\
         \n\
         # The worst predictions, by name.\n\
         worst = valid.loc[valid['error'].abs().sort_values(ascending=False).index[:10]].copy()\n\
         worst['user'] = [dls.classes['user'][i] for i in worst['user']]\n\
         worst['title'] = [dls.classes['title'][i] for i in worst['title']]\n\
         worst",
        edges = edges.join(", ")
    )
}

fn learned(model: Model, app: &App) -> String {
    // The page's own rule for what a list may name (`update::learned::listable`), in pandas.
    let mut code = format!(
        "# Lists name only movies enough people rated (the {MAP_FIT} most rated, each at least {LIST_MIN_RATINGS} \
         times): a movie\n\
         # rated once or twice keeps factors near where it started, and would rank by noise.\n\
         counts = ratings.groupby('title')['rating'].count()\n\
         listable = set(counts.sort_values(ascending=False).index[:{MAP_FIT}]) & set(counts[counts >= {LIST_MIN_RATINGS}].index)\n\
         listable.discard('unknown')   # MovieLens-100k's placeholder title\n\
         names = dls.classes['title']\n\
         \n",
    );
    match model.tables() {
        Some(tables) => code.push_str(&format!(
            "{tables}\
             {biases}\
             most_rated = counts.sort_values(ascending=False).index.values[:{MAP_FIT}]\n\
             pcs = movie_w[tensor([names.o2i[t] for t in most_rated])].cpu().detach().pca(3)\n\
             print(pcs.shape)   # the map: plot pcs[:, 0] against pcs[:, 2], titles as labels\n\
             \n\
             star_wars = movie_w[names.o2i['Star Wars (1977)']]\n\
             similarity = nn.CosineSimilarity(dim=1)(movie_w, star_wars[None])\n\
             like = [names[i] for i in similarity.argsort(descending=True).tolist() if names[i] in listable]\n\
             print('movies like Star Wars:', like[1:6])\n\
             \n",
            biases = if model.has_bias() {
                "order = movie_b.argsort().tolist()\n\
                 print('liked least, whatever their factors:', [names[i] for i in order if i > 0][:5])\n\
                 print('liked most:', [names[i] for i in reversed(order) if i > 0][:5])\n\
                 \n"
            } else {
                ""
            }
        )),
        None => code.push_str(
            "# This model's predictions are not a dot product of two rows, so there are no biases, map or\n\
             # similar movies to read off its tables: train a dot-product model above for those.\n\n",
        ),
    }
    code.push_str(&format!(
        "# Recommendations for a user: every listable movie they have not rated, ranked by the model.\n\
         user = {user}\n\
         unseen = sorted(listable - set(ratings[ratings.user == user].title))\n\
         candidates = pd.DataFrame({{'user': [user] * len(unseen), 'title': unseen}})\n\
         scores, _ = learn.get_preds(dl=dls.test_dl(candidates))\n\
         candidates['predicted'] = scores.flatten().numpy()   # (n,) or (n, 1), as the model gives them\n\
         candidates.nlargest(10, 'predicted')   # above 5 is possible: sigmoid_range's top is 5.5",
        user = rec_user(app)
    ));
    code
}

fn you(model: Model, app: &App) -> String {
    let Some(tables) = model.tables() else {
        return "# A new user's row is fitted against the movies' factors: that needs a dot-product model.\n\
                # Train DotProduct, DotProductBias or the from-scratch model in section 8 to run this cell."
            .into();
    };
    let mine = match &app.learned.you {
        Some(you) if !you.ratings.is_empty() => you.ratings.clone(),
        _ => vec![("Star Wars (1977)".into(), 5.0), ("Fargo (1996)".into(), 4.0), ("Toy Story (1995)".into(), 2.0)],
    };
    let mine: Vec<String> = mine.iter().map(|(t, r)| format!("    {}: {r:?},", py_str(t))).collect();
    // The page's own fit of a new user's row (`interpret::fit_new_user`).
    let (steps, lr, wd) = collab_core::interpret::NEW_USER_FIT;
    format!(
        "{tables}\
         mine = {{\n{}\n}}\n\
         \n\
         # Your row starts as the average user's and learns from your ratings alone; every movie's factors\n\
         # stay as trained. The page's fit: {steps} steps of gradient descent, lr {lr}, L2 {wd} on your factors.\n\
         movie_w, movie_b = movie_w.detach(), movie_b.detach()\n\
         idx = tensor([names.o2i[t] for t in mine])\n\
         target = tensor(list(mine.values()), dtype=torch.float32)\n\
         you = user_w[1:].mean(0).detach().clone().requires_grad_()\n\
         you_b = user_b[1:].mean().detach().clone().requires_grad_()\n\
         for _ in range({steps}):\n\
         \x20   x = movie_w[idx] @ you + you_b + movie_b[idx]\n\
         \x20   loss = (({squash} - target) ** 2).mean() + {wd} * (you ** 2).sum()\n\
         \x20   loss.backward()\n\
         \x20   with torch.no_grad():\n\
         \x20       you -= {lr} * you.grad\n\
         {bias_step}\
         \x20       you.grad.zero_(); you_b.grad.zero_()\n\
         \n\
         with torch.no_grad():\n\
         \x20   x = movie_w @ you + you_b + movie_b\n\
         \x20   predicted = {squash}\n\
         print({{t: round(predicted[names.o2i[t]].item(), 2) for t in mine}})   # close to yours: few ratings are easy to meet\n\
         ranked = [names[i] for i in predicted.argsort(descending=True).tolist() if names[i] in listable and names[i] not in mine]\n\
         ranked[:10]",
        mine.join("\n"),
        squash = model.squash(),
        bias_step = if model.has_bias() {
            format!("        you_b -= {lr} * you_b.grad   # your bias: no decay\n")
        } else {
            String::new()
        },
    )
}

/// The cells as a Jupyter notebook (nbformat 4.4): a heading, then per section a
/// markdown line and its code.
pub fn ipynb(app: &App) -> String {
    let lines = |text: &str| -> Vec<String> {
        let parts: Vec<&str> = text.split('\n').collect();
        let last = parts.len() - 1;
        parts.iter().enumerate().map(|(n, l)| if n < last { format!("{l}\n") } else { l.to_string() }).collect()
    };
    let mut out = vec![json!({
        "cell_type": "markdown",
        "metadata": {},
        "source": lines(
            "# Collaborative filtering, cell by cell\n\n\
             The fastai and PyTorch code behind each section of the page, with the settings it held when exported."
        ),
    })];
    for c in cells(app) {
        out.push(json!({ "cell_type": "markdown", "metadata": {}, "source": lines(&format!("## {}", c.title)) }));
        out.push(json!({
            "cell_type": "code",
            "execution_count": null,
            "metadata": {},
            "outputs": [],
            "source": lines(&c.code),
        }));
    }
    let notebook = json!({
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {
            "kernelspec": { "name": "python3", "display_name": "Python 3", "language": "python" },
            "language_info": { "name": "python" },
        },
        "cells": out,
    });
    serde_json::to_string_pretty(&notebook).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::TrainControls;
    use crate::state::DeviceState;
    use collab_core::sheet::SheetSettings;

    fn app(controls: [&str; 9]) -> App {
        // The optimizer (the tenth setting) at its default.
        let texts = std::array::from_fn(|n| controls.get(n).copied().unwrap_or("adam").to_string());
        App::new(DeviceState::default(), TrainControls(texts), SheetSettings::default())
    }

    fn code_of(app: &App) -> Vec<String> {
        cells(app).into_iter().map(|c| c.code).collect()
    }

    #[test]
    fn the_notebook_is_nbformat_4_with_the_current_settings() {
        let app = app(["dotbias", "40", "3", "0.002", "0.05", "decoupled", "128", "7", "auto"]);
        let parsed: serde_json::Value = serde_json::from_str(&ipynb(&app)).unwrap();
        assert_eq!(parsed["nbformat"], 4);
        let cells = parsed["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 1 + 2 * 10, "a heading, then a line and the code of each of the ten sections");
        let code: String = cells
            .iter()
            .filter(|c| c["cell_type"] == "code")
            .flat_map(|c| c["source"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()))
            .collect();
        assert!(code.contains("CollabDataLoaders.from_df(ratings, item_name='title', bs=128, seed=7)"), "{code}");
        assert!(code.contains("learn = collab_learner(dls, n_factors=40, y_range=(0, 5.5))"));
        assert!(code.contains("learn.fit_one_cycle(3, 0.002, wd=0.05)"));
        assert!(code.contains("edges = [-1, 0, 4, 9, 19, 49, 99, float('inf')]"), "the page's cold-start bins");
        // Each source line but the last ends with a newline, as Jupyter writes them.
        let source = cells[2]["source"].as_array().unwrap();
        assert!(source[..source.len() - 1].iter().all(|l| l.as_str().unwrap().ends_with('\n')));
    }

    #[test]
    fn the_data_cell_reads_the_release_the_page_loaded() {
        use collab_core::data::generate::{Stand, zip};
        let mut page = app(["dotbias", "8", "1", "0.005", "0.1", "decoupled", "64", "42", "cpu"]);
        let lesson = cells(&page).remove(0);
        assert_eq!(lesson.title, "Load MovieLens-100k and look at it");
        assert!(lesson.code.contains("folder = untar_data(URLs.ML_100k)"));
        for (release, reads) in [
            (Release::Ml1m, "pd.read_csv(folder/'movies.dat', sep='::', engine='python', encoding='latin-1'"),
            (Release::Ml10m, "pd.read_csv(folder/'movies.dat', sep='::', engine='python', header=None"),
            (
                Release::Ml25m,
                "pd.read_csv(folder/'ratings.csv').rename(columns={'userId': 'user', 'movieId': 'movie'})",
            ),
        ] {
            // What the loading worker answers for the release's zip.
            let name = format!("{}.zip", release.folder());
            let table = collab_core::data::movielens::parse_zip(&zip(&Stand::new(release, 500)), &name).unwrap();
            page.data.summary = crate::summary::DataSummary::of(&table);
            let cell = cells(&page).remove(0);
            assert_eq!(cell.title, format!("Load {} and look at it", release.name()));
            assert!(cell.code.contains(&format!("folder = Path(\"{}\")", release.folder())), "{}", cell.code);
            assert!(cell.code.contains(reads), "{release}: {}", cell.code);
            assert!(!cell.code.contains("untar_data"), "fastai downloads MovieLens-100k only");
        }
    }

    #[test]
    fn a_fit_with_another_optimizer_says_the_notebook_trains_with_fastais_adam() {
        let train = |optim: &str| {
            let mut page = app(["dotbias", "8", "1", "0.005", "0.1", "decoupled", "64", "42", "cpu"]);
            page.train.controls.set(collab_core::settings::Key::Optim, optim);
            cells(&page).into_iter().find(|c| c.section == "train").unwrap().code
        };
        assert!(!train("adam").contains("no such optimizer"));
        let lazy = train("lazy");
        assert!(lazy.contains("# The page trained with lazy (lazy Adam: only the rows in the batch move"), "{lazy}");
        assert!(lazy.contains("learn.fit_one_cycle(1, 0.005, wd=0.1)"));
        assert!(train("sgd").contains("# The page trained with sgd (plain SGD, no momentum)"));
    }

    /// The words of `code` that could be Python names: comments and string literals left out.
    fn names(code: &str) -> Vec<String> {
        let mut bare = String::new();
        for line in code.lines() {
            let mut quote = None;
            for c in line.chars() {
                match (quote, c) {
                    (None, '#') => break,
                    (None, '\'' | '"') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, c) => bare.push(c),
                    (Some(_), _) => {}
                }
            }
            bare.push('\n');
        }
        // A word followed by one '=' is assigned or a keyword argument, not used.
        let mut words = Vec::new();
        let mut rest = bare.as_str();
        while let Some(start) = rest.find(|c: char| c.is_alphanumeric() || c == '_') {
            let word_end =
                rest[start..].find(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(rest.len(), |e| start + e);
            let after = rest[word_end..].trim_start_matches(' ');
            if !after.starts_with('=') || after.starts_with("==") {
                words.push(rest[start..word_end].to_string());
            }
            rest = &rest[word_end..];
        }
        words
    }

    #[test]
    fn every_name_a_cell_uses_is_defined_in_a_cell_above_it_for_every_model() {
        // The names the cells share, with how each is defined: a cell that uses one before
        // the cell that defines it stops the notebook with a NameError.
        let defined_by = [
            ("ratings", "ratings = "),
            ("dls", "dls = "),
            ("n_users", "n_users, n_movies = "),
            ("users", "users = torch.tensor("),
            ("movies", "movies = torch.tensor("),
            ("known", "known = torch.tensor("),
            ("create_params", "def create_params("),
            ("DotProductBias", "class DotProductBias("),
            ("model", "model = "),
            ("xb", "xb, yb = "),
            ("learn", "learn = "),
            ("names", "names = "),
            ("listable", "listable = "),
            ("counts", "counts = "),
            ("user_w", "user_w, movie_w = "),
            ("movie_b", "user_b, movie_b = "),
        ];
        for model in ["dotbias", "scratch", "dot", "dotraw", "nn", "embnn"] {
            let code = code_of(&app([model, "50", "5", "0.005", "0.1", "decoupled", "64", "42", "auto"]));
            for (name, definition) in defined_by {
                let first_use = code.iter().position(|c| names(c).iter().any(|w| w == name));
                let defined = code.iter().position(|c| c.contains(definition));
                if let Some(used) = first_use {
                    let defined = defined.unwrap_or_else(|| panic!("{model}: '{name}' is used and never defined"));
                    assert!(defined <= used, "{model}: '{name}' is used in cell {used}, defined in cell {defined}");
                }
            }
        }
    }

    #[test]
    fn the_spreadsheet_cell_starts_from_the_pages_own_numbers() {
        let mut app = app(["dotbias", "50", "5", "0.005", "0.1", "decoupled", "64", "42", "auto"]);
        app.sheet.sheet.set(USER_FACTORS, 2, 1, 0.123_456_79).unwrap();
        let code = spreadsheet(&app);
        let sheet = &app.sheet.sheet;
        for path in [USER_FACTORS, ITEM_FACTORS] {
            for row in table(sheet, path) {
                let line = format!("[{}]", row.iter().map(|&x| py_f32(x)).collect::<Vec<_>>().join(", "));
                assert!(code.contains(&line), "{path}: {line} not in\n{code}");
            }
        }
        assert!(code.contains("0.12345679"), "every digit of an edited number");
        assert!(code.contains(&format!("user_ids = {:?}", sheet.cross.users)));
        assert!(code.contains("lr, wd = 0.05, 0"), "{code}");
        assert!(!code.contains("randn"), "no random start: the page's");
        assert_eq!(py_f32(f32::NAN), "nan");
    }

    #[test]
    fn the_spreadsheet_cell_holds_out_the_pages_held_out_cells() {
        let mut app = app(["dotbias", "50", "5", "0.005", "0.1", "decoupled", "64", "42", "auto"]);
        assert!(spreadsheet(&app).contains("def mse(cells=rated):"), "nothing held out by default");
        app.sheet.sheet.settings.held_out = true;
        let code = spreadsheet(&app);
        let held = app.sheet.sheet.held_cells();
        let list: Vec<String> = held.iter().map(|(u, i)| format!("({u}, {i})")).collect();
        assert!(code.contains(&format!("for u, m in [{}]:", list.join(", "))), "{code}");
        assert!(code.contains("train = rated & ~held") && code.contains("def mse(cells=train):"));
        assert!(code.contains("print(f'before: MSE {mse().item():.4f}, held-out MSE {mse(held).item():.4f}')"));
    }

    #[test]
    fn each_model_and_decay_kind_has_its_own_code() {
        let code = |model: &str, kind: &str| {
            train(&app([model, "50", "5", "0.005", "0.1", kind, "64", "42", "auto"]).train.controls.0)
        };
        assert!(code("embnn", "decoupled").contains("use_nn=True"));
        assert!(code("nn", "decoupled").contains("CollabNN(*get_emb_sz(dls))"));
        assert!(code("nn", "decoupled").contains("learn.fit_one_cycle(5, 0.005, wd=0.1)"), "the setting's wd");
        assert!(code("dotraw", "decoupled").contains("return dot   # no sigmoid_range"));
        assert!(code("dot", "decoupled").contains("return sigmoid_range(dot, 0, 5.5)"));
        assert!(code("scratch", "decoupled").contains("DotProductBias(n_users, n_movies, 50)"));
        let app = app(["dotbias", "50", "5", "0.005", "0.1", "decoupled", "64", "42", "auto"]);
        let listed = learned(Model::of("dotbias"), &app);
        assert!(listed.contains("(the 1000 most rated, each at least 5 times)"), "{listed}");
        assert!(listed.contains("index[:1000]) & set(counts[counts >= 5].index)"), "{listed}");
        let l2 = code("dotbias", "l2");
        assert!(
            l2.contains("opt_func=partial(Adam, decouple_wd=False)") && l2.contains("wd=0.2  # fastai's L2"),
            "{l2}"
        );
    }

    #[test]
    fn dot_product_bias_from_scratch_creates_its_parameters_and_keeps_one_axis() {
        let code = bias_model();
        assert!(code.contains("def create_params(shape):") && !code.contains("Embedding("), "{code}");
        // Biases of shape (n,) indexed by (bs,) indices give (bs,): added to the (bs,) dot
        // product they stay (bs,). A (n, 1) table would give (bs, 1) and broadcast to (bs, bs).
        assert!(code.contains("create_params([n_users])") && code.contains(".sum(dim=1)"));
        assert!(!code.contains("keepdim") && !code.contains("create_params([n_users, 1])"));
    }

    #[test]
    fn the_new_user_cell_carries_the_visitors_ratings() {
        let mut app = app(["dotbias", "50", "5", "0.005", "0.1", "decoupled", "64", "42", "auto"]);
        app.learned.you = Some(crate::state::YouFit {
            ratings: vec![("Schindler's List (1993)".into(), 5.0), ("Fargo (1996)".into(), 2.0)],
            fitted: String::new(),
            you: Vec::new(),
            average: Vec::new(),
        });
        let code = you(Model::of("dotbias"), &app);
        assert!(code.contains("    \"Schindler's List (1993)\": 5.0,\n    \"Fargo (1996)\": 2.0,"), "{code}");
        assert!(code.contains("you_b -= 0.5 * you_b.grad"));
        assert!(!you(Model::of("dot"), &app).contains("you_b -= "), "no bias to fit without biases");
        assert!(you(Model::of("nn"), &app).starts_with("# A new user's row"));
    }
}
