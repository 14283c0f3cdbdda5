//! The sbcctl compiler: spec (YAML) -> diagnostics -> immutable plan.
