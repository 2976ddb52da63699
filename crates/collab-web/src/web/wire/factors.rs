//! Section 2's events: any input in the table sends all twelve numbers.

use super::on;
use crate::msg::{FactorsMsg, Msg};
use crate::sections::factors::input_ids;
use crate::web::dom::{document, value_of};
use crate::web::runtime::Rt;

pub fn wire(rt: &Rt) {
    on(rt, "factors-table", "input", false, |_, _| {
        let document = document().ok()?;
        let texts = input_ids()
            .iter()
            .map(|id| document.get_element_by_id(id).and_then(|e| value_of(&e)).unwrap_or_default())
            .collect();
        Some(Msg::Factors(FactorsMsg::Edited(texts)))
    });
}
