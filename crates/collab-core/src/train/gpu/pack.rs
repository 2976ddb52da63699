//! What the GPU step's kernels need to know of a batch, packed into one buffer of
//! integers on the host (one upload a step): the batch's user and item indices, and for
//! each table the list of the batch's ratings that touch each row.

use crate::data::Encoded;

/// A batch packed for [`super::kernels`]: `rows` and where each part of it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// Users (one a rating), items, user starts, user list, item starts, item list.
    pub rows: Vec<i32>,
    /// Where each user's ratings start in the user list (`n_users + 1` numbers: the last
    /// is the list's end).
    pub user_starts: usize,
    /// The batch positions of the ratings, grouped by user, in batch order within a user.
    pub user_list: usize,
    /// As `user_starts`, by item.
    pub item_starts: usize,
    /// As `user_list`, by item.
    pub item_list: usize,
}

/// Packs `batch` for tables of `n_users` and `n_items` rows. Every index must be a row
/// of its table, as the learner's encoded data guarantees; `None` if one is not.
pub fn pack(batch: &Encoded, n_users: usize, n_items: usize) -> Option<Packed> {
    let n = batch.len();
    let mut rows = Vec::with_capacity(4 * n + n_users + n_items + 2);
    rows.extend_from_slice(&batch.users);
    rows.extend_from_slice(&batch.items);
    let user_starts = rows.len();
    let user_list = user_starts + n_users + 1;
    group(&mut rows, &batch.users, n_users)?;
    let item_starts = rows.len();
    let item_list = item_starts + n_items + 1;
    group(&mut rows, &batch.items, n_items)?;
    Some(Packed { rows, user_starts, user_list, item_starts, item_list })
}

/// Appends, for indices into a table of `n` rows, each row's start in the list and then
/// the list of positions grouped by row (a counting sort, which keeps batch order).
fn group(rows: &mut Vec<i32>, index: &[i32], n: usize) -> Option<()> {
    let mut starts = vec![0i32; n + 1];
    for &i in index {
        *starts.get_mut(usize::try_from(i).ok()? + 1)? += 1;
    }
    for r in 0..n {
        starts[r + 1] += starts[r];
    }
    let mut next = starts.clone();
    let mut list = vec![0i32; index.len()];
    for (position, &i) in index.iter().enumerate() {
        let slot = &mut next[i as usize];
        list[*slot as usize] = position as i32;
        *slot += 1;
    }
    rows.extend_from_slice(&starts);
    rows.extend_from_slice(&list);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_lists_its_ratings_in_batch_order() {
        // User 2 rates twice (positions 0 and 2), item 3 is rated twice (0 and 1).
        let batch = Encoded { users: vec![2, 1, 2, 0], items: vec![3, 3, 0, 1], ratings: vec![1.0; 4] };
        let p = pack(&batch, 3, 4).unwrap();
        assert_eq!(&p.rows[..8], &[2, 1, 2, 0, 3, 3, 0, 1]);
        let list = |starts: usize, list: usize, row: usize| {
            let (a, b) = (p.rows[starts + row] as usize, p.rows[starts + row + 1] as usize);
            p.rows[list + a..list + b].to_vec()
        };
        assert_eq!(list(p.user_starts, p.user_list, 0), vec![3]);
        assert_eq!(list(p.user_starts, p.user_list, 1), vec![1]);
        assert_eq!(list(p.user_starts, p.user_list, 2), vec![0, 2]);
        assert_eq!(list(p.item_starts, p.item_list, 0), vec![2]);
        assert_eq!(list(p.item_starts, p.item_list, 1), vec![3]);
        assert_eq!(list(p.item_starts, p.item_list, 2), Vec::<i32>::new());
        assert_eq!(list(p.item_starts, p.item_list, 3), vec![0, 1]);
        assert_eq!(p.rows.len(), 4 * 4 + 3 + 4 + 2);
    }

    #[test]
    fn an_index_outside_its_table_is_refused() {
        let batch = Encoded { users: vec![0, 3], items: vec![0, 0], ratings: vec![1.0; 2] };
        assert!(pack(&batch, 3, 1).is_none());
        let batch = Encoded { users: vec![0, -1], items: vec![0, 0], ratings: vec![1.0; 2] };
        assert!(pack(&batch, 3, 1).is_none());
    }
}
