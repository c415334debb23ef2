//! The built-in demo market generator (being written).
