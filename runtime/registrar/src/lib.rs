//! Sans-IO registrar.
