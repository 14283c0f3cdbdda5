//! The plan's manipulation rules applied to a request: header edits, number rewriting of the
//! Request-URI, From and To users, and display names.
//!
//! Pure: no I/O and no clock. The SIP core calls [`Manipulator::apply`] on a request arriving from
//! a peer (ingress, before routing) and on the request it is about to send to a peer (egress,
//! after routing). Which rules run is decided once, on the request as it arrived, so one rule's
//! edit never selects or deselects a later rule; the selected rules then run in plan order, each
//! seeing the edits of the rules before it.
//!
//! The compiler refuses rules that edit headers carrying transaction identity, but a plan file can
//! be edited by hand, so [`headers`] refuses them again here, and keeps the From and To tags
//! (dialog identity) through a `set_header`.

mod headers;
mod user;

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use sbcctl_compiler::plan::{Action, Direction, ManipulationId, PeerId, Plan};
use sbcctl_compiler::route_table::{ManipulationTable, TableError};
use sbcctl_sip::{Request, UriError, expand_compact};
use tracing::debug;

use user::UserEdit;

/// Why one action left the request unchanged. Logged at debug level: a rule that does not fit a
/// request (no user part to prefix, say) is not an error of the request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Skip {
    #[error("`{0}` identifies transactions or dialogs and is never edited")]
    Protected(String),
    #[error("`{0}` is not a valid header name")]
    BadName(String),
    #[error("the value would not be a valid `{0}`")]
    BadValue(String),
    #[error("the {0} has no user part")]
    NoUser(&'static str),
    #[error("the {0} user is not UTF-8 text")]
    BadUser(&'static str),
    #[error("the {0} would be left without a user")]
    EmptyUser(&'static str),
    #[error("the Request-URI does not parse: {0}")]
    BadUri(UriError),
    #[error("the {0} header is missing or does not parse")]
    BadAddress(&'static str),
    #[error("the regex of this action is missing from the table")]
    NoRegex,
}

/// The plan's manipulation rules, compiled once per plan.
#[derive(Debug)]
pub struct Manipulator {
    table: ManipulationTable,
    plan: Arc<Plan>,
    /// (direction, peer) pairs some rule names, and the directions some peer-less rule covers:
    /// most requests meet no rule, and this lets them skip collecting their headers.
    targeted: HashSet<(Direction, PeerId)>,
    any_peer: [bool; 2],
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl Manipulator {
    /// Compiles the plan's rules; fails only on a regex that does not compile (the compiler checks
    /// them, so only a hand-edited plan gets there).
    pub fn new(plan: Arc<Plan>) -> Result<Manipulator, TableError> {
        let table = ManipulationTable::build(&plan)?;
        let mut targeted = HashSet::new();
        let mut any_peer = [false; 2];
        for m in &plan.manipulations {
            let dirs = match m.when.direction {
                Some(d) => vec![d],
                None => vec![Direction::Ingress, Direction::Egress],
            };
            for d in dirs {
                match m.when.peer {
                    Some(p) => {
                        targeted.insert((d, p));
                    }
                    None => any_peer[dir_index(d)] = true,
                }
            }
        }
        Ok(Manipulator {
            table,
            plan,
            targeted,
            any_peer,
        })
    }

    /// Applies, in plan order, every rule for this direction and peer whose conditions hold on the
    /// request as it was before any rule ran. Returns the names of the rules applied (for logs).
    pub fn apply(&self, direction: Direction, peer: PeerId, req: &mut Request) -> Vec<String> {
        if !self.any_peer[dir_index(direction)] && !self.targeted.contains(&(direction, peer)) {
            return Vec::new();
        }
        let selected = self.select(direction, peer, req);
        let mut applied = Vec::with_capacity(selected.len());
        for id in selected {
            let Some(rule) = self.plan.manipulation(id) else {
                continue;
            };
            for (index, action) in rule.actions.iter().enumerate() {
                if let Err(why) = self.run(id, index, action, req) {
                    debug!(rule = %rule.name, action = index, %why, "manipulation action skipped");
                }
            }
            applied.push(rule.name.clone());
        }
        applied
    }

    /// The rules whose conditions hold, with header names in their long form so a test on `From`
    /// also sees a compact `f` header.
    fn select(&self, direction: Direction, peer: PeerId, req: &Request) -> Vec<ManipulationId> {
        let owned: Vec<(Cow<'_, str>, Cow<'_, str>)> = req
            .headers
            .iter()
            .map(|h| {
                let name = String::from_utf8_lossy(expand_compact(h.name()));
                let value = h
                    .value_str()
                    .unwrap_or_else(|| String::from_utf8_lossy(h.raw_value()));
                (name, value)
            })
            .collect();
        let pairs: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (&**n, &**v)).collect();
        self.table
            .applicable(direction, peer, req.method().as_str(), &pairs)
            .collect()
    }

    fn run(
        &self,
        id: ManipulationId,
        index: usize,
        action: &Action,
        req: &mut Request,
    ) -> Result<(), Skip> {
        match action {
            Action::AddHeader { name, value } => headers::add(&mut req.headers, name, value),
            Action::SetHeader { name, value } => headers::set(&mut req.headers, name, value),
            Action::RemoveHeader { name } => headers::remove(&mut req.headers, name),
            Action::AddPrefix { field, prefix } => {
                user::edit(req, *field, UserEdit::AddPrefix(prefix))
            }
            Action::StripPrefix { field, prefix } => {
                user::edit(req, *field, UserEdit::StripPrefix(prefix))
            }
            Action::RegexReplace {
                field, replacement, ..
            } => {
                let regex = self.table.regex(id, index).ok_or(Skip::NoRegex)?;
                user::edit(req, *field, UserEdit::Replace(regex, replacement))
            }
            Action::SetDisplayName { field, value } => {
                headers::set_display_name(&mut req.headers, *field, value)
            }
        }
    }
}
