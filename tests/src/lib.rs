//! Behaviour tests of the wsstream adapters live in `tests/`; this crate has no library code.
