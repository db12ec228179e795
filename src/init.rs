//! `migration-harness init`: looks at a project (alembic.ini, a Flask-Migrate env.py, a
//! Django manage.py, `*.up.sql`, `-- migrate:up`) and writes a commented starter `harness.toml`.

use std::path::{Path, PathBuf};

use crate::chain::formats::{DirSample, FORMATS};
use crate::error::{exit, HarnessError, InitError, IoAction, Result};

/// What kind of project a directory holds, with the paths a config needs (relative to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    Alembic {
        ini: PathBuf,
        versions: PathBuf,
    },
    Flask {
        app: String,
        versions: PathBuf,
    },
    SqlDir {
        format: &'static str,
        dir: PathBuf,
        why: &'static str,
    },
    Django {
        /// The settings module manage.py names, when it names one.
        settings: Option<String>,
    },
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

fn rel(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| p.to_path_buf())
}

/// Directories (depth ≤ 3, skipping hidden, venvs and build output) holding `*.sql` files.
fn sql_dirs(root: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        if entries
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "sql"))
        {
            out.push(d.to_path_buf());
        }
        if depth == 0 {
            return;
        }
        for p in entries.iter().filter(|p| p.is_dir()) {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.')
                || ["target", "node_modules", "venv", "__pycache__"].contains(&name.as_str())
            {
                continue;
            }
            walk(p, depth - 1, out);
        }
    }
    let mut out = Vec::new();
    walk(root, 3, &mut out);
    out
}

/// The Flask app to pass as `--app`: `.flaskenv`'s FLASK_APP, else app.py / wsgi.py.
fn flask_app(root: &Path) -> String {
    let env = read(&root.join(".flaskenv"));
    if let Some(v) = env
        .lines()
        .find_map(|l| l.trim().strip_prefix("FLASK_APP="))
    {
        return v.trim().trim_matches('"').to_string();
    }
    for f in ["app.py", "wsgi.py", "application.py"] {
        if root.join(f).exists() {
            return f.trim_end_matches(".py").to_string();
        }
    }
    "app".into()
}

pub fn detect(root: &Path) -> Option<Detected> {
    let ini = root.join("alembic.ini");
    if ini.exists() {
        let versions = crate::chain::alembic_ini::version_dirs(&ini)
            .into_iter()
            .next()
            .unwrap_or_else(|| root.join("migrations/versions"));
        let env_py = read(&versions.parent().unwrap_or(root).join("env.py"));
        if env_py.contains("current_app") {
            return Some(Detected::Flask {
                app: flask_app(root),
                versions: rel(root, &versions),
            });
        }
        return Some(Detected::Alembic {
            ini: PathBuf::from("alembic.ini"),
            versions: rel(root, &versions),
        });
    }
    // Flask-Migrate keeps its alembic.ini inside migrations/.
    let env_py = root.join("migrations/env.py");
    if read(&env_py).contains("current_app") {
        return Some(Detected::Flask {
            app: flask_app(root),
            versions: PathBuf::from("migrations/versions"),
        });
    }
    let manage = read(&root.join("manage.py"));
    if manage.contains("django") || manage.contains("DJANGO_SETTINGS_MODULE") {
        return Some(Detected::Django {
            settings: crate::driver::settings_from_manage(&manage),
        });
    }
    for d in sql_dirs(root) {
        let files: Vec<PathBuf> = std::fs::read_dir(&d)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let sample = DirSample {
            project: root,
            files: &files,
        };
        // The registry's order is the detection order (dbmate's markers before sqlx's and
        // golang-migrate's shared file names).
        for f in FORMATS {
            if let Some(why) = f.detect(&sample) {
                return Some(Detected::SqlDir {
                    format: f.name(),
                    dir: rel(root, &d),
                    why,
                });
            }
        }
    }
    None
}

fn python_section(root: &Path) -> String {
    if root.join("requirements.txt").exists() {
        "[python]\n# The harness builds (once, cached) a venv with these and runs the tools from it.\nrequirements = \"requirements.txt\"\n".into()
    } else {
        "[python]\n# Where alembic / Flask-Migrate and the MySQL driver (PyMySQL) are installed. Without\n# this, `python3` on PATH (or $MH_PYTHON) is used.\n# requirements = \"requirements.txt\"\n# python = \".venv/bin/python\"\n".into()
    }
}

/// The starter config for a detected project, every key commented.
pub fn render(root: &Path, d: &Detected) -> String {
    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "my project".into());
    let head = format!(
        "# migration-harness config, written by `migration-harness init`. Paths are relative to\n\
         # this file. Every key is documented in the README (section harness.toml).\n\
         [project]\nname = \"{name}\"\n\n"
    );
    let migrations = match d {
        Detected::Alembic { ini, versions } => format!(
            "[migrations]\ntool = \"alembic\"\nalembic_ini = \"{}\"\n# Where the revision files are (default: alembic.ini's version_locations / script_location).\ndir = \"{}\"\n# The variable(s) your env.py reads the database URL from; the harness sets each one.\nurl_env = [\"DATABASE_URL\"]\n# Extra `-x key=value` arguments for env.py.\n# x_args = []\n\n{}",
            ini.display(),
            versions.display(),
            python_section(root)
        ),
        Detected::Flask { app, versions } => format!(
            "[migrations]\ntool = \"flask\"\n# `flask --app` value. Migrations run without importing it; the app is used for the\n# deploy rehearsal, [app_command] and the model check.\napp = \"{app}\"\ndir = \"{}\"\nurl_env = [\"DATABASE_URL\", \"SQLALCHEMY_DATABASE_URI\"]\n\n{}\n[app_command]\n# A command that loads the app against the database (it must work at head).\nrun = \"flask db current\"\n",
            versions.display(),
            python_section(root)
        ),
        Detected::Django { settings } => format!(
            "[migrations]\ntool = \"django\"\n# Migrations run in a warm Django worker (call_command(\"migrate\"), statements captured);\n# revisions are named app.name (api.0002_add_label).\nmanage = \"manage.py\"\n{}\n# Only these apps' migrations, with what they depend on (default: every app).\n# app = \"api\"\n# The variable your settings read the database URL from (the worker points the `default`\n# database at the server itself; the deploy rehearsal's `manage.py migrate` reads this).\nurl_env = [\"DATABASE_URL\"]\n\n{}",
            match settings {
                Some(s) => format!("settings = \"{s}\""),
                None => "settings = \"mysite.settings\"   # manage.py names none: set yours".into(),
            },
            python_section(root)
        ),
        Detected::SqlDir { format, dir, why } => format!(
            "[migrations]\ntool = \"sqldir\"\n# Detected from {why}.\nformat = \"{format}\"\ndir = \"{}\"\n# SQL run at the start of every migration session (e.g. SET sql_mode = ...).\n# init_sql = []\n",
            dir.display()
        ),
    };
    let rest = "\n[baseline]\n# The revision production is at today (default: the head's parent).\n# revision = \"\"\n# SQL that turns a clean baseline into what production really holds (drift).\n# setup_sql = []\n\n[server]\n# auto (Docker, else a local mariadbd/mysqld), container, local or url.\n# db = \"auto\"\n# image = \"mysql:8.0\"\n\n[scenarios]\n# Step timeout in seconds; parallel scenarios.\n# timeout = 300\n# jobs = 2\n# Opinionated checks: off | warn | required (default warn).\n# idempotency = \"warn\"\n# hotfix = \"warn\"\n# reproduce_error = \"warn\"\n# The previous release's code on the new schema, the new code on the old one.\n# compat = \"warn\"\n# Failures of revisions before the baseline (or unchanged since --since): warnings,\n# or \"strict\" to judge them too.\n# history = \"informational\"\n\n# Queries the application runs; they must work at head.\n# [[probes]]\n# name = \"home page\"\n# sql = \"SELECT id FROM users LIMIT 1\"\n# release = \"previous\"  # a query of the release production runs\n\n# The release production runs (a git ref); --since wins.\n# [compat]\n# previous = \"v1.0.0\"\n";
    format!("{head}{migrations}{rest}")
}

/// Writes `harness.toml` in `dir`; refuses to overwrite one unless `force`.
pub fn run(dir: &Path, force: bool) -> Result<i32> {
    let target = dir.join("harness.toml");
    if target.exists() && !force {
        return Err(InitError::Exists { config: target }.into());
    }
    let Some(d) = detect(dir) else {
        return Err(InitError::NothingFound {
            dir: dir.to_path_buf(),
        }
        .into());
    };
    std::fs::write(&target, render(dir, &d)).map_err(HarnessError::io(IoAction::Write, &target))?;
    println!("wrote {} ({d:?})", target.display());
    println!(
        "next: migration-harness --config {} --scenario all",
        target.display()
    );
    Ok(exit::PASSED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rendering_parses_as_a_config() {
        let root = Path::new("/nonexistent");
        for d in [
            Detected::Alembic {
                ini: "alembic.ini".into(),
                versions: "migrations/versions".into(),
            },
            Detected::Flask {
                app: "app".into(),
                versions: "migrations/versions".into(),
            },
            Detected::SqlDir {
                format: "dbmate",
                dir: "db/migrations".into(),
                why: "x",
            },
            Detected::Django {
                settings: Some("mhsite.settings".into()),
            },
            Detected::Django { settings: None },
        ] {
            let text = render(root, &d);
            let parsed: std::result::Result<crate::config::RawConfig, _> = toml::from_str(&text);
            assert!(parsed.is_ok(), "{text}\n{parsed:?}");
        }
    }

    #[test]
    fn a_django_manage_py_is_detected_with_its_settings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("manage.py"),
            "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\nfrom django.core.management import execute_from_command_line\n",
        )
        .unwrap();
        let d = detect(dir.path()).expect("detected");
        assert_eq!(
            d,
            Detected::Django {
                settings: Some("shop.settings".into())
            }
        );
        assert!(render(dir.path(), &d).contains("tool = \"django\""));
    }
}
