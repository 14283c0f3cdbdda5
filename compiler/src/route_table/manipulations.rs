//! Manipulation rules indexed by (direction, peer), so a request asks only for the rules that
//! can apply to it.

use std::collections::HashMap;

use regex::Regex;

use super::TableError;
use super::compiled::CompiledHeaderTest;
use crate::plan::{Action, Direction, ManipulationId, PeerId, Plan};

#[derive(Debug)]
struct Rule {
    methods: Vec<String>,
    headers: Vec<CompiledHeaderTest>,
    /// Compiled pattern per action index (only `regex_replace` actions have one).
    regexes: Vec<Option<Regex>>,
}

/// Compiled manipulation lookup for one plan.
#[derive(Debug)]
pub struct ManipulationTable {
    rules: Vec<Rule>,
    /// Rules whose `peer` is unset, per direction (index 0 ingress, 1 egress), in plan order.
    any_peer: [Vec<u32>; 2],
    /// Rules for one peer (merged with `any_peer` at build time), per direction.
    by_peer: HashMap<PeerId, [Vec<u32>; 2]>,
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl ManipulationTable {
    pub fn build(plan: &Plan) -> Result<ManipulationTable, TableError> {
        let mut rules = Vec::with_capacity(plan.manipulations.len());
        let mut any_peer: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        let mut peer_only: HashMap<PeerId, [Vec<u32>; 2]> = HashMap::new();
        for (i, m) in plan.manipulations.iter().enumerate() {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            let regexes = m
                .actions
                .iter()
                .map(|a| match a {
                    Action::RegexReplace { pattern, .. } => {
                        Regex::new(pattern).map(Some).map_err(|error| TableError {
                            what: "manipulation",
                            name: m.name.clone(),
                            pattern: pattern.clone(),
                            error,
                        })
                    }
                    _ => Ok(None),
                })
                .collect::<Result<_, _>>()?;
            rules.push(Rule {
                methods: m.when.methods.clone(),
                headers: m
                    .when
                    .headers
                    .iter()
                    .map(|h| CompiledHeaderTest::new(h, "manipulation", &m.name))
                    .collect::<Result<_, _>>()?,
                regexes,
            });
            let dirs: Vec<usize> = match m.when.direction {
                None => vec![0, 1],
                Some(d) => vec![dir_index(d)],
            };
            for d in dirs {
                match m.when.peer {
                    None => any_peer[d].push(id),
                    Some(p) => peer_only.entry(p).or_default()[d].push(id),
                }
            }
        }
        let by_peer = peer_only
            .into_iter()
            .map(|(p, lists)| {
                let merge = |d: usize| {
                    let mut v: Vec<u32> = any_peer[d].iter().chain(&lists[d]).copied().collect();
                    v.sort_unstable();
                    v
                };
                (p, [merge(0), merge(1)])
            })
            .collect();
        Ok(ManipulationTable {
            rules,
            any_peer,
            by_peer,
        })
    }

    /// Rules that apply to a request in plan order, given its direction, peer, method and
    /// headers (as they are when the rules start; a rule's edits do not re-select rules).
    pub fn applicable<'a>(
        &'a self,
        direction: Direction,
        peer: PeerId,
        method: &'a str,
        headers: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = ManipulationId> + 'a {
        let d = dir_index(direction);
        let list = self.by_peer.get(&peer).map_or(&self.any_peer[d], |l| &l[d]);
        list.iter().copied().filter_map(move |id| {
            let r = self.rules.get(id as usize)?;
            let method_ok =
                r.methods.is_empty() || r.methods.iter().any(|m| m.eq_ignore_ascii_case(method));
            (method_ok && r.headers.iter().all(|h| h.holds(headers))).then_some(ManipulationId(id))
        })
    }

    /// The compiled pattern of action `action` of rule `id`, if it is a `regex_replace`.
    pub fn regex(&self, id: ManipulationId, action: usize) -> Option<&Regex> {
        self.rules.get(id.index())?.regexes.get(action)?.as_ref()
    }
}
