//! The spreadsheet's layout: which cell sits where, which ones can be edited, how the
//! cursor moves, and how each cell is drawn.

use collab_core::sheet::{ITEM_BIAS, ITEM_FACTORS, Sheet, SheetEval, SheetStep, USER_BIAS, USER_FACTORS};

use crate::html::{escape, short};

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// A column heading (drawn vertically, as titles are long), with its text.
    Header(String),
    /// A row heading (drawn across), with its text.
    Label(String),
    /// An editable number: table path, row and column in it, and an accessible name.
    Number { path: &'static str, row: usize, col: usize, name: String },
    /// A rating cell: user row, movie column.
    Rating { user: usize, item: usize },
}

/// The grid of cells for the sheet's current settings, rows of equal length.
///
/// Layout (as in fastai's sheet): movie factors above the ratings, one row per factor;
/// a movie-bias row under them when biases are on; a title row; then one row per user:
/// user id, the user's factors, the user bias, and the ratings.
pub fn layout(sheet: &Sheet) -> Vec<Vec<Cell>> {
    let (n_u, n_i) = sheet.dims();
    let k = sheet.settings.k;
    let bias = usize::from(sheet.settings.bias);
    let left = 1 + k + bias;
    // Each movie's cells name it (cut: a title is in every cell of its column); its
    // header holds it whole.
    let title = |i: usize| short(&sheet.cross.titles[i]);
    let mut rows = Vec::new();
    for f in 0..k {
        let mut row = vec![Cell::Empty; left - 1];
        row.push(Cell::Label(format!("movie factor {}", f + 1)));
        row.extend((0..n_i).map(|i| Cell::Number {
            path: ITEM_FACTORS,
            row: i,
            col: f,
            name: format!("factor {} of {}", f + 1, title(i)),
        }));
        rows.push(row);
    }
    if bias == 1 {
        let mut row = vec![Cell::Empty; left - 1];
        row.push(Cell::Label("movie bias".into()));
        row.extend((0..n_i).map(|i| Cell::Number {
            path: ITEM_BIAS,
            row: i,
            col: 0,
            name: format!("bias of {}", title(i)),
        }));
        rows.push(row);
    }
    let mut header = vec![Cell::Header("user".into())];
    header.extend((0..k).map(|f| Cell::Header(format!("factor {}", f + 1))));
    if bias == 1 {
        header.push(Cell::Header("bias".into()));
    }
    header.extend((0..n_i).map(|i| Cell::Header(sheet.cross.titles[i].clone())));
    rows.push(header);
    for u in 0..n_u {
        let user = sheet.cross.users[u];
        let mut row = vec![Cell::Label(format!("{user}"))];
        row.extend((0..k).map(|f| Cell::Number {
            path: USER_FACTORS,
            row: u,
            col: f,
            name: format!("factor {} of user {user}", f + 1),
        }));
        if bias == 1 {
            row.push(Cell::Number { path: USER_BIAS, row: u, col: 0, name: format!("bias of user {user}") });
        }
        row.extend((0..n_i).map(|i| Cell::Rating { user: u, item: i }));
        rows.push(row);
    }
    rows
}

/// The cursor moved by `(dr, dc)`, kept inside the grid.
pub fn moved(sheet: &Sheet, (r, c): (usize, usize), (dr, dc): (isize, isize)) -> (usize, usize) {
    let grid = layout(sheet);
    let rows = grid.len() as isize;
    let cols = grid.first().map_or(0, Vec::len) as isize;
    ((r as isize + dr).clamp(0, rows - 1) as usize, (c as isize + dc).clamp(0, cols - 1) as usize)
}

/// The editable cell at `at`, if it is one: (table path, row, column, accessible name).
pub fn number_at(sheet: &Sheet, at: (usize, usize)) -> Option<(&'static str, usize, usize, String)> {
    match layout(sheet).get(at.0).and_then(|r| r.get(at.1)) {
        Some(Cell::Number { path, row, col, name }) => Some((path, *row, *col, name.clone())),
        _ => None,
    }
}

/// The value of an editable cell.
pub fn number(sheet: &Sheet, path: &str, row: usize, col: usize) -> f32 {
    let t = sheet.weights.get(path).expect("the sheet has every table");
    t.values[row * t.shape[1] + col]
}

/// The grid as HTML rows (`<tr>`s) with the cursor's cell focusable, holding an editor
/// with `editing`'s text when a cell is being edited.
pub fn html(
    sheet: &Sheet,
    eval: Option<&SheetEval>,
    step: Option<&SheetStep>,
    cursor: (usize, usize),
    editing: Option<&str>,
) -> String {
    let grid = layout(sheet);
    let held = sheet.held_cells();
    let max_grad =
        step.map_or(0.0, |s| s.grads.tensors.iter().flat_map(|t| t.values.iter()).fold(0.0f32, |m, g| m.max(g.abs())));
    let mut html = String::new();
    for (r, row) in grid.iter().enumerate() {
        html.push_str("<tr role=\"row\">");
        for (c, cell) in row.iter().enumerate() {
            let here = (r, c) == cursor;
            // The cursor is marked by aria-selected (styled in CSS), not by a class: cells
            // carry their own class attribute.
            let focus = format!(
                "data-r=\"{r}\" data-c=\"{c}\" tabindex=\"{}\"{}",
                if here { 0 } else { -1 },
                if here { " aria-selected=\"true\"" } else { "" }
            );
            html.push_str(&match cell {
                Cell::Empty => format!("<td role=\"gridcell\" {focus}></td>"),
                Cell::Header(text) => format!("<th role=\"columnheader\" {focus} title=\"{0}\"><span>{0}</span></th>", escape(text)),
                Cell::Label(text) => format!("<th role=\"rowheader\" {focus} class=\"rowhead\">{}</th>", escape(text)),
                Cell::Number { name, .. } if here && editing.is_some() => format!(
                    "<td role=\"gridcell\" {focus} class=\"num\"><input id=\"sheet-editor\" aria-label=\"{}\" value=\"{}\" autocomplete=\"off\"></td>",
                    escape(name),
                    escape(editing.unwrap_or_default())
                ),
                Cell::Number { path, row, col, name } => {
                    let value = number(sheet, path, *row, *col);
                    let (shade, note) = gradient_note(step, path, *row, *col, max_grad);
                    format!(
                        "<td role=\"gridcell\" {focus} class=\"num\" data-path=\"{path}\" data-row=\"{row}\" data-col=\"{col}\" \
                         aria-label=\"{}\" title=\"{value}{note}\" style=\"{shade}\">{value:.3}</td>",
                        escape(name),
                    )
                }
                Cell::Rating { user, item } => {
                    rating_html(sheet, eval, *user, *item, &focus, held.contains(&(*user, *item)))
                }
            });
        }
        html.push_str("</tr>");
    }
    html
}

/// A rating cell; a held-out one (which no step sees) is hatched and says so.
fn rating_html(sheet: &Sheet, eval: Option<&SheetEval>, u: usize, i: usize, focus: &str, held: bool) -> String {
    let (class, note) = if held { ("rated held", ", held out: no step sees it") } else { ("rated", "") };
    let pred = eval.map(|e| e.preds[u][i]);
    let label = format!("user {}, {}", sheet.cross.users[u], short(&sheet.cross.titles[i]));
    match (sheet.cross.cells[u][i], pred) {
        (Some(r), Some(p)) => {
            // Error 0 is white-green, 2 stars or more is full red.
            let err = ((p - r).abs() / 2.0).min(1.0);
            format!(
                "<td role=\"gridcell\" {focus} class=\"{class}\" style=\"background-color: hsl({:.0} 70% {:.0}%)\" \
                 aria-label=\"{}: predicted {p:.2}, rated {r}{note}\"><span class=\"pred\">{p:.2}</span><span class=\"rating\">{r}</span></td>",
                120.0 * (1.0 - err),
                92.0 - 20.0 * err,
                escape(&label)
            )
        }
        (None, Some(p)) => format!(
            "<td role=\"gridcell\" {focus} class=\"unrated\" aria-label=\"{}: not rated, predicted {p:.2}\">{p:.2}</td>",
            escape(&label)
        ),
        (_, None) => format!("<td role=\"gridcell\" {focus} class=\"unrated\">…</td>"),
    }
}

/// Shading by the last step's gradient (blue: the step raised the number, orange: lowered).
fn gradient_note(step: Option<&SheetStep>, path: &str, row: usize, col: usize, max_grad: f32) -> (String, String) {
    let Some(step) = step else { return (String::new(), String::new()) };
    let (Some(g), Some(d)) = (step.grads.get(path), step.deltas.get(path)) else {
        return (String::new(), String::new());
    };
    let index = row * g.shape[1] + col;
    let (grad, delta) = (g.values[index], d.values[index]);
    let alpha = if max_grad > 0.0 { (grad.abs() / max_grad).sqrt() * 0.6 } else { 0.0 };
    let colour = if delta >= 0.0 { "43 93 138" } else { "214 120 30" };
    (format!("background: rgb({colour} / {alpha:.2})"), format!("; gradient {grad:.4}, change {delta:+.4}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use collab_core::data::CrossTable;
    use collab_core::sheet::SheetSettings;

    fn sheet(k: usize, bias: bool) -> Sheet {
        let table = crate::state::demo_table();
        Sheet::new(CrossTable::top(&table, 15), SheetSettings { k, bias, ..SheetSettings::default() }, 1)
    }

    #[test]
    fn layout_puts_movie_factors_above_and_users_left() {
        let s = sheet(3, true);
        let grid = layout(&s);
        // 3 movie-factor rows, a movie-bias row, the header, 15 users.
        assert_eq!(grid.len(), 3 + 1 + 1 + 15);
        assert!(grid.iter().all(|r| r.len() == 1 + 3 + 1 + 15), "rows of equal length");
        assert_eq!(grid[0][4], Cell::Label("movie factor 1".into()));
        assert!(matches!(&grid[3][5], Cell::Number { path: ITEM_BIAS, row: 0, .. }));
        assert_eq!(grid[4][0], Cell::Header("user".into()));
        assert!(matches!(&grid[5][1], Cell::Number { path: USER_FACTORS, row: 0, col: 0, .. }));
        assert!(matches!(&grid[5][4], Cell::Number { path: USER_BIAS, row: 0, .. }));
        assert_eq!(grid[19][19], Cell::Rating { user: 14, item: 14 });
        let plain = layout(&sheet(2, false));
        assert_eq!((plain.len(), plain[0].len()), (2 + 1 + 15, 1 + 2 + 15));
    }

    #[test]
    fn the_cursor_stays_inside_the_grid() {
        let s = sheet(2, false);
        assert_eq!(moved(&s, (0, 0), (-1, -1)), (0, 0));
        assert_eq!(moved(&s, (3, 2), (1, 1)), (4, 3));
        assert_eq!(moved(&s, (17, 17), (5, 5)), (17, 17));
        assert_eq!(moved(&s, (5, 5), (0, -100)), (5, 0));
    }

    #[test]
    fn only_factor_and_bias_cells_are_editable() {
        let s = sheet(2, true);
        let (path, row, col, name) = number_at(&s, (4, 2)).unwrap();
        assert_eq!((path, row, col), (USER_FACTORS, 0, 1));
        assert!(name.starts_with("factor 2 of user"), "{name}");
        assert_eq!(number(&s, path, row, col), s.weights.get(USER_FACTORS).unwrap().values[1]);
        assert!(number_at(&s, (3, 0)).is_none(), "the header is not editable");
        assert!(number_at(&s, (4, 10)).is_none(), "a rating is not editable");
    }

    #[test]
    fn the_editor_sits_in_the_cursor_cell() {
        let s = sheet(2, false);
        let plain = html(&s, None, None, (3, 1), None);
        assert_eq!(plain.matches("tabindex=\"0\"").count(), 1);
        assert!(!plain.contains("sheet-editor"));
        let editing = html(&s, None, None, (3, 1), Some("2<"));
        assert!(editing.contains("id=\"sheet-editor\""));
        assert!(editing.contains("value=\"2&lt;\""), "the text is escaped");
    }
}
