//! Typed configuration: one serde tree, unknown keys refused, environment
//! overrides, and `validate()` listing every problem with its key path.

mod load;
mod paths;
mod problem;
mod secret;
mod sections;
mod validate;

pub use load::{ConfigSource, DEFAULT_TOML, Loaded, SECTIONS, from_text, load, user_config_path};
pub use problem::{ConfigError, Problem};
pub use secret::Secret;
pub use sections::*;
pub use validate::Finding;

impl Config {
    /// The effective configuration as TOML, secrets shown as `***`.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}
