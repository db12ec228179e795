//! `Snapshot`: the tables of one database with their columns, indexes, foreign keys and checks.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: BTreeMap<String, Column>,
    pub indexes: BTreeMap<String, Index>,
    pub foreign_keys: BTreeMap<String, ForeignKey>,
    pub checks: BTreeMap<String, String>,
    /// `SHOW CREATE TABLE` text, kept to re-create a table in a hot-fix; never compared.
    #[serde(skip)]
    pub create_sql: String,
}

/// A column, normalised. Ordinal position is kept but not compared: Alembic re-adds a
/// dropped column at the end, which no application notices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(skip)]
    pub position: u32,
    pub column_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub extra: String,
    pub collation: Option<String>,
}

impl Column {
    pub fn same_definition(&self, other: &Column) -> bool {
        self.column_type == other.column_type
            && self.nullable == other.nullable
            && self.default == other.default
            && self.extra == other.extra
            && self.collation == other.collation
    }

    pub fn is_generated(&self) -> bool {
        self.extra.contains("generated") || self.extra.contains("persistent")
    }

    pub fn is_auto_increment(&self) -> bool {
        self.extra.contains("auto_increment")
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.column_type,
            if self.nullable { "NULL" } else { "NOT NULL" }
        )?;
        if let Some(d) = &self.default {
            write!(f, " DEFAULT {d}")?;
        }
        if !self.extra.is_empty() {
            write!(f, " {}", self.extra)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexColumn {
    pub name: String,
    pub sub_part: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub columns: Vec<IndexColumn>,
}

impl Index {
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| match c.sub_part {
                Some(n) => format!("{}({n})", c.name),
                None => c.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({})", self.column_list())?;
        if self.unique && self.name != "PRIMARY" {
            write!(f, " UNIQUE")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_update: String,
    pub on_delete: String,
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({}) → {}({}) ON DELETE {} ON UPDATE {}",
            self.columns.join(", "),
            self.ref_table,
            self.ref_columns.join(", "),
            self.on_delete,
            self.on_update
        )
    }
}
