//! Where files go when the config leaves a path empty: the platform's data dir
//! from `directories` (`~/.local/share/cockpit` on Linux).

use std::path::PathBuf;

use super::PathsConfig;

impl PathsConfig {
    pub fn data_dir(&self) -> PathBuf {
        if !self.data_dir.is_empty() {
            return PathBuf::from(&self.data_dir);
        }
        directories::ProjectDirs::from("", "", "cockpit")
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("cockpit-data"))
    }

    pub fn log_dir(&self) -> PathBuf {
        if self.log_dir.is_empty() {
            self.data_dir().join("logs")
        } else {
            PathBuf::from(&self.log_dir)
        }
    }

    pub fn journal(&self) -> PathBuf {
        if self.journal.is_empty() {
            self.data_dir().join("journal.sqlite")
        } else {
            PathBuf::from(&self.journal)
        }
    }
}
