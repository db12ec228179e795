//! Where an Alembic project keeps its revisions, read from alembic.ini as Alembic reads it:
//! `script_location` (its `versions/`) or `version_locations`, with `%(here)s` expanded.

use std::path::{Path, PathBuf};

/// The version directories an alembic.ini names; empty when it names none.
pub fn version_dirs_from_ini(text: &str, here: &Path) -> Vec<PathBuf> {
    let Ok(ini) = ini::Ini::load_from_str(text) else {
        return vec![];
    };
    let Some(section) = ini.section(Some("alembic")) else {
        return vec![];
    };
    let expand = |v: &str| -> PathBuf {
        let v = v.replace("%(here)s", &here.display().to_string());
        let p = PathBuf::from(v.trim());
        if p.is_absolute() {
            p
        } else {
            here.join(p)
        }
    };
    if let Some(locs) = section.get("version_locations") {
        // Alembic splits on `path_separator` (`os` → ':' on POSIX; older files: space or
        // comma, `version_path_separator`); docs: "The version_locations option".
        let sep = section
            .get("path_separator")
            .or_else(|| section.get("version_path_separator"))
            .unwrap_or("space");
        let parts: Vec<&str> = match sep {
            "os" | ":" => locs.split(':').collect(),
            ";" => locs.split(';').collect(),
            "newline" => locs.lines().collect(),
            _ => locs.split([' ', ',']).collect(),
        };
        let dirs: Vec<PathBuf> = parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(expand)
            .collect();
        if !dirs.is_empty() {
            return dirs;
        }
    }
    match section.get("script_location") {
        // `package:path` names a package resource; its directory cannot be read from here.
        Some(loc) if !loc.contains(':') || loc.contains('/') => {
            vec![expand(loc).join("versions")]
        }
        _ => vec![],
    }
}

/// `version_dirs_from_ini` for a file on disk.
pub fn version_dirs(ini_path: &Path) -> Vec<PathBuf> {
    let here = ini_path.parent().unwrap_or(Path::new("."));
    std::fs::read_to_string(ini_path)
        .map(|t| version_dirs_from_ini(&t, here))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_location_with_here() {
        let t = "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = x\n";
        assert_eq!(
            version_dirs_from_ini(t, Path::new("/p")),
            [PathBuf::from("/p/migrations/versions")]
        );
        let t = "[alembic]\nscript_location = db\n";
        assert_eq!(
            version_dirs_from_ini(t, Path::new("/p")),
            [PathBuf::from("/p/db/versions")]
        );
    }

    #[test]
    fn version_locations_win_and_split_by_separator() {
        let t = "[alembic]\nscript_location = m\nversion_locations = %(here)s/a %(here)s/b\n";
        assert_eq!(
            version_dirs_from_ini(t, Path::new("/p")),
            [PathBuf::from("/p/a"), PathBuf::from("/p/b")]
        );
        let t = "[alembic]\nscript_location = m\npath_separator = os\nversion_locations = a:../b\n";
        assert_eq!(
            version_dirs_from_ini(t, Path::new("/p")),
            [PathBuf::from("/p/a"), PathBuf::from("/p/../b")]
        );
        assert!(version_dirs_from_ini("[loggers]\nkeys = root\n", Path::new("/p")).is_empty());
    }
}
