//! The code behind the cells: for each section, the fastai / PyTorch lines that compute
//! the same thing with the page's current settings, shown beside the section and
//! exported as a Jupyter notebook (nbformat 4), so that homework goes on in the real tools.
//! Pure: built from the state, tested natively.

use collab_core::sheet::SheetSettings;
use collab_core::train::WdKind;
use serde_json::json;

use crate::fields::RAW_DOT;
use crate::state::App;

/// One section's code: its element id suffix, a line of prose, and the code.
pub struct CodeCell {
    pub section: &'static str,
    pub title: &'static str,
    pub code: String,
}

/// Every section's code, in page order, with the settings the page holds now.
pub fn cells(app: &App) -> Vec<CodeCell> {
    let sheet = &app.sheet.sheet.settings;
    let c = &app.train.controls.0;
    let cell = |section, title, code: String| CodeCell { section, title, code };
    vec![
        cell("data", "Load MovieLens-100k and look at it", data()),
        cell("sheet", "The spreadsheet: a dot-product model trained by plain gradient descent", spreadsheet(sheet)),
        cell("lookup", "An embedding is a one-hot product done as a lookup", lookup()),
        cell("bias", "Biases, and sigmoid_range", bias_model()),
        cell("decay", "Weight decay, as a term of the loss and as fastai applies it", decay(sheet)),
        cell("train", "Train on MovieLens-100k with fastai", train(c)),
        cell("learned", "What the model learned", learned()),
    ]
}

fn data() -> String {
    "from fastai.collab import *\n\
     from fastai.tabular.all import *\n\
     \n\
     folder = untar_data(URLs.ML_100k)\n\
     ratings = pd.read_csv(folder/'u.data', sep='\\t', header=None,\n\
     \x20                     names=['user', 'movie', 'rating', 'timestamp'])\n\
     titles = pd.read_csv(folder/'u.item', sep='|', encoding='latin-1', header=None,\n\
     \x20                    usecols=(0, 1), names=('movie', 'title'))\n\
     ratings = ratings.merge(titles)\n\
     filled = len(ratings) / (ratings.user.nunique() * ratings.movie.nunique())\n\
     print(f'{filled:.1%} of the users x movies matrix is rated')\n\
     ratings.head()"
        .into()
}

fn spreadsheet(s: &SheetSettings) -> String {
    let mut code = format!(
        "import torch\n\
         \n\
         # A small corner of the ratings: users x movies, NaN where nobody rated.\n\
         corner = ratings.pivot_table(index='user', columns='title', values='rating').iloc[:15, :15]\n\
         known = torch.tensor(corner.values, dtype=torch.float32)\n\
         rated = ~known.isnan()\n\
         k = {k}\n\
         users = (torch.randn(known.shape[0], k) * 0.1).requires_grad_()\n\
         movies = (torch.randn(known.shape[1], k) * 0.1).requires_grad_()\n",
        k = s.k
    );
    if s.bias {
        code.push_str(
            "user_bias = torch.zeros(known.shape[0], 1, requires_grad=True)\n\
             movie_bias = torch.zeros(1, known.shape[1], requires_grad=True)\n",
        );
    }
    let params = if s.bias { "users, movies, user_bias, movie_bias" } else { "users, movies" };
    let x = if s.bias { "users @ movies.T + user_bias + movie_bias" } else { "users @ movies.T" };
    let pred = if s.y_range { format!("torch.sigmoid({x}) * 5.5") } else { x.to_string() };
    let decay = match s.wd_kind {
        _ if s.wd == 0.0 => String::new(),
        WdKind::L2 => format!(" + {wd} * sum((p ** 2).sum() for p in ({params},))", wd = s.wd),
        WdKind::Decoupled => String::new(),
    };
    code.push_str(&format!(
        "\nfor step in range(10):\n\
         \x20   preds = {pred}\n\
         \x20   loss = ((preds - known)[rated] ** 2).mean(){decay}\n\
         \x20   loss.backward()\n\
         \x20   with torch.no_grad():\n\
         \x20       for p in ({params},):\n"
    ));
    if s.wd_kind == WdKind::Decoupled && s.wd != 0.0 {
        code.push_str(&format!("            p *= 1 - {lr} * {wd}   # decoupled weight decay\n", lr = s.lr, wd = s.wd));
    }
    code.push_str(&format!(
        "            p -= {lr} * p.grad     # plain gradient descent\n\
         \x20           p.grad.zero_()\n\
         \x20   print(step, loss.item())",
        lr = s.lr
    ));
    code
}

fn lookup() -> String {
    "from torch.nn.functional import one_hot\n\
     \n\
     user = 3\n\
     picked = one_hot(torch.tensor(user), users.shape[0]).float()\n\
     by_product = picked @ users      # multiplies every row, keeps one\n\
     by_index = users[user]           # what nn.Embedding does: fetch the row\n\
     torch.allclose(by_product, by_index)"
        .into()
}

fn bias_model() -> String {
    "class DotProductBias(Module):\n\
     \x20   def __init__(self, n_users, n_movies, n_factors, y_range=(0, 5.5)):\n\
     \x20       self.user_factors = Embedding(n_users, n_factors)\n\
     \x20       self.user_bias = Embedding(n_users, 1)\n\
     \x20       self.movie_factors = Embedding(n_movies, n_factors)\n\
     \x20       self.movie_bias = Embedding(n_movies, 1)\n\
     \x20       self.y_range = y_range\n\
     \n\
     \x20   def forward(self, x):\n\
     \x20       u, m = self.user_factors(x[:, 0]), self.movie_factors(x[:, 1])\n\
     \x20       dot = (u * m).sum(dim=1, keepdim=True)\n\
     \x20       dot = dot + self.user_bias(x[:, 0]) + self.movie_bias(x[:, 1])\n\
     \x20       return sigmoid_range(dot, *self.y_range)"
        .into()
}

fn decay(s: &SheetSettings) -> String {
    let wd = if s.wd > 0.0 { s.wd } else { 0.1 };
    format!(
        "# As a term of the loss (the lesson's explanation): its gradient adds 2·wd·p.\n\
         loss_with_decay = loss + {wd} * sum((p ** 2).sum() for p in model.parameters())\n\
         \n\
         # As fastai's Adam applies it by default (decoupled): no loss term; before each\n\
         # step every weight is multiplied by (1 - lr·wd).\n\
         learn.fit_one_cycle(5, 5e-3, wd={wd})\n\
         # The L2 form instead (fastai adds wd·p to the gradient, so 2·wd gives the lesson's term):\n\
         learn = collab_learner(dls, n_factors=50, y_range=(0, 5.5), opt_func=partial(Adam, decouple_wd=False))\n\
         learn.fit_one_cycle(5, 5e-3, wd={})",
        2.0 * wd
    )
}

fn train(c: &[String; 9]) -> String {
    let [model, factors, epochs, lr, wd, wd_kind, bs, seed, _device] = c;
    let wd_value: f64 = wd.parse().unwrap_or(0.1);
    let (opt, wd) = if wd_kind == "l2" {
        (
            ", opt_func=partial(Adam, decouple_wd=False)",
            format!("{}  # fastai's L2 adds wd·p: twice {wd} for the page's 2·wd·p", 2.0 * wd_value),
        )
    } else {
        ("", wd.clone())
    };
    let learner = match model.as_str() {
        "dotbias" => format!("learn = collab_learner(dls, n_factors={factors}, y_range=(0, 5.5){opt})"),
        "embnn" => format!("learn = collab_learner(dls, use_nn=True, y_range=(0, 5.5), layers=[100, 50]{opt})"),
        "nn" => format!(
            "class CollabNN(Module):\n\
             \x20   def __init__(self, user_sz, movie_sz, y_range=(0, 5.5), n_act=100):\n\
             \x20       self.user_factors = Embedding(*user_sz)\n\
             \x20       self.movie_factors = Embedding(*movie_sz)\n\
             \x20       self.layers = nn.Sequential(nn.Linear(user_sz[1] + movie_sz[1], n_act), nn.ReLU(), nn.Linear(n_act, 1))\n\
             \x20       self.y_range = y_range\n\
             \x20   def forward(self, x):\n\
             \x20       both = torch.cat((self.user_factors(x[:, 0]), self.movie_factors(x[:, 1])), dim=1)\n\
             \x20       return sigmoid_range(self.layers(both), *self.y_range)\n\
             \n\
             learn = Learner(dls, CollabNN(*get_emb_sz(dls)), loss_func=MSELossFlat(){opt})"
        ),
        RAW_DOT | "dot" | "scratch" => {
            let squash = if model == RAW_DOT { "dot" } else { "sigmoid_range(dot, 0, 5.5)" };
            let (bias_init, bias_add) = if model == "scratch" {
                (
                    "\n        self.user_bias = Embedding(n_users, 1)\n        self.movie_bias = Embedding(n_movies, 1)",
                    " + self.user_bias(x[:, 0]) + self.movie_bias(x[:, 1])",
                )
            } else {
                ("", "")
            };
            format!(
                "class Model(Module):\n\
                 \x20   def __init__(self, n_users, n_movies, n_factors):\n\
                 \x20       self.user_factors = Embedding(n_users, n_factors)\n\
                 \x20       self.movie_factors = Embedding(n_movies, n_factors){bias_init}\n\
                 \x20   def forward(self, x):\n\
                 \x20       dot = (self.user_factors(x[:, 0]) * self.movie_factors(x[:, 1])).sum(dim=1){bias_add}\n\
                 \x20       return {squash}\n\
                 \n\
                 n_users, n_movies = len(dls.classes['user']), len(dls.classes['title'])\n\
                 learn = Learner(dls, Model(n_users, n_movies, {factors}), loss_func=MSELossFlat(){opt})"
            )
        }
        other => format!("# model '{other}'"),
    };
    format!(
        "dls = CollabDataLoaders.from_df(ratings, item_name='title', bs={bs}, seed={seed})\n\
         dls.classes['title'][:5]   # '#na#' first\n\
         {learner}\n\
         learn.fit_one_cycle({epochs}, {lr}, wd={wd})"
    )
}

fn learned() -> String {
    "weights = learn.model.i_weight.weight      # collab_learner's names (i_bias for the biases)\n\
     biases = learn.model.i_bias.weight.squeeze()\n\
     names = dls.classes['title']\n\
     [names[i] for i in biases.argsort()[:5]]   # liked least, whatever their factors\n\
     \n\
     counts = ratings.groupby('title')['rating'].count()\n\
     most_rated = counts.sort_values(ascending=False).index.values[:1000]\n\
     rows = tensor([names.o2i[t] for t in most_rated])\n\
     pcs = weights[rows].cpu().detach().pca(3)\n\
     \n\
     target = weights[names.o2i['Star Wars (1977)']]\n\
     near = nn.CosineSimilarity(dim=1)(weights, target[None]).argsort(descending=True)[1:6]\n\
     [names[i] for i in near]"
        .into()
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

    fn app(controls: [&str; 9]) -> App {
        App::new(DeviceState::default(), TrainControls(controls.map(String::from)), SheetSettings::default())
    }

    #[test]
    fn the_notebook_is_nbformat_4_with_the_current_settings() {
        let app = app(["dotbias", "40", "3", "0.002", "0.05", "decoupled", "128", "7", "auto"]);
        let parsed: serde_json::Value = serde_json::from_str(&ipynb(&app)).unwrap();
        assert_eq!(parsed["nbformat"], 4);
        let cells = parsed["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 1 + 2 * 7);
        let code: String = cells
            .iter()
            .filter(|c| c["cell_type"] == "code")
            .flat_map(|c| c["source"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()))
            .collect();
        assert!(code.contains("CollabDataLoaders.from_df(ratings, item_name='title', bs=128, seed=7)"), "{code}");
        assert!(code.contains("learn = collab_learner(dls, n_factors=40, y_range=(0, 5.5))"));
        assert!(code.contains("learn.fit_one_cycle(3, 0.002, wd=0.05)"));
        assert!(code.contains("k = 5\n"), "the sheet's factors");
        // Each source line but the last ends with a newline, as Jupyter writes them.
        let source = cells[2]["source"].as_array().unwrap();
        assert!(source[..source.len() - 1].iter().all(|l| l.as_str().unwrap().ends_with('\n')));
    }

    #[test]
    fn each_model_and_decay_kind_has_its_own_code() {
        let code = |model: &str, kind: &str| {
            train(&app([model, "50", "5", "0.005", "0.1", kind, "64", "42", "auto"]).train.controls.0)
        };
        assert!(code("embnn", "decoupled").contains("use_nn=True"));
        assert!(code("nn", "decoupled").contains("CollabNN(*get_emb_sz(dls))"));
        assert!(code("dotraw", "decoupled").contains("return dot\n"));
        assert!(code("dot", "decoupled").contains("return sigmoid_range(dot, 0, 5.5)"));
        assert!(code("scratch", "decoupled").contains("self.movie_bias(x[:, 1])"));
        let l2 = code("dotbias", "l2");
        assert!(
            l2.contains("opt_func=partial(Adam, decouple_wd=False)") && l2.contains("wd=0.2  # fastai's L2"),
            "{l2}"
        );
    }
}
