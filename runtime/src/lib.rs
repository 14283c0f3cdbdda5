//! The sbcctl runtime: loads a plan and runs it.
