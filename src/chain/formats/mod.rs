//! SQL-directory formats (golang-migrate, dbmate, sqlx, goose): how a tool names and pairs
//! its files, what it reads from them, and how it keeps its version table — each format one
//! file implementing `SqlFormat`, listed once in `FORMATS`. Pure: the bookkeeping is SQL as
//! data, which `driver/sqldir` sends. Adding a format: docs/architecture.md.

mod dbmate;
mod golang_migrate;
mod goose;
mod sqlx;

mod format;

pub use format::{
    role_by_suffix, spelled, split_version, version_number, Applied, Bookkeeping, Commands,
    DirSample, Direction, FileRole, Part, Section, Sections, SqlFormat, SqlMigration, Transaction,
};

/// Every format, by the name `format = "…"` gives in harness.toml. The order is `init`'s
/// detection order: the first format whose `detect` answers wins.
pub static FORMATS: [&dyn SqlFormat; 4] = [
    &dbmate::Dbmate,
    &goose::Goose,
    &sqlx::Sqlx,
    &golang_migrate::GolangMigrate,
];

/// The format called `name`.
pub fn by_name(name: &str) -> Option<&'static dyn SqlFormat> {
    FORMATS.iter().copied().find(|f| f.name() == name)
}

/// `"golang-migrate", "dbmate", … or "goose"`: every name, for messages.
pub fn names() -> String {
    let quoted: Vec<String> = FORMATS
        .iter()
        .map(|f| format!("\"{}\"", f.name()))
        .collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// serde: `format = "dbmate"` into the registered format (an unknown name is an error at
/// its line, listing the valid ones).
pub fn deserialize<'de, D>(d: D) -> Result<Option<&'static dyn SqlFormat>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let name: Option<String> = serde::Deserialize::deserialize(d)?;
    name.map(|n| {
        by_name(&n).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown format `{n}`, expected {}", names()))
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_is_found_by_its_name_and_names_are_unique() {
        for f in FORMATS {
            assert_eq!(by_name(f.name()).map(|g| g.name()), Some(f.name()));
        }
        let mut names: Vec<&str> = FORMATS.iter().map(|f| f.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len());
        assert_eq!(
            super::names(),
            "\"dbmate\", \"goose\", \"sqlx\" or \"golang-migrate\""
        );
    }

    #[test]
    fn an_unknown_format_name_is_refused_listing_the_valid_ones() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[serde(default, deserialize_with = "deserialize")]
            format: Option<&'static dyn SqlFormat>,
        }
        let t: T = toml::from_str("format = \"goose\"").unwrap();
        assert_eq!(t.format.map(|f| f.name()), Some("goose"));
        let t: T = toml::from_str("").unwrap();
        assert!(t.format.is_none());
        let e = toml::from_str::<T>("format = \"flyway\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown format `flyway`"), "{e}");
        assert!(e.contains("\"goose\""), "{e}");
    }
}
