//! Incremental, TA-Lib-exact technical indicators (being written).
