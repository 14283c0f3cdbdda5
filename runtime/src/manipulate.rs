//! PLACEHOLDER until the manipulations applier lands.
use sbcctl_compiler::plan::{Direction, PeerId, Plan};
use std::sync::Arc;
pub struct Manipulator;
impl Manipulator {
    pub fn new(_plan: Arc<Plan>) -> Result<Manipulator, String> {
        Ok(Manipulator)
    }
    pub fn apply(&self, _d: Direction, _p: PeerId, _r: &mut sbcctl_sip::Request) -> Vec<String> {
        Vec::new()
    }
}
