//! `Snapshot`: every object of one database — tables (options, columns, indexes, foreign keys,
//! checks), views, triggers, routines, events and sequences — normalised for comparison.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub tables: BTreeMap<String, Table>,
    #[serde(default)]
    pub views: BTreeMap<String, View>,
    #[serde(default)]
    pub triggers: BTreeMap<String, Trigger>,
    /// Keyed by `procedure NAME` / `function NAME`: the two live in separate namespaces.
    #[serde(default)]
    pub routines: BTreeMap<String, Routine>,
    #[serde(default)]
    pub events: BTreeMap<String, Event>,
    /// MariaDB sequences (`CREATE SEQUENCE`), as their normalised `SHOW CREATE SEQUENCE`.
    #[serde(default)]
    pub sequences: BTreeMap<String, Definition>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: BTreeMap<String, Column>,
    pub indexes: BTreeMap<String, Index>,
    pub foreign_keys: BTreeMap<String, ForeignKey>,
    pub checks: BTreeMap<String, String>,
    #[serde(default)]
    pub options: TableOptions,
    /// `SHOW CREATE TABLE` text, kept to re-create a table in a hot-fix; never compared.
    #[serde(skip)]
    pub create_sql: String,
    /// `SHOW CREATE TABLE` as sorted lines with history-dependent parts removed (auto-named
    /// constraints, AUTO_INCREMENT counter, column order): the fallback comparison that makes
    /// anything the model does not know about still show up.
    #[serde(skip)]
    pub create_lines: Vec<String>,
}

/// Table-level options from information_schema.TABLES and the partition clause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableOptions {
    pub engine: String,
    pub collation: String,
    pub row_format: String,
    pub comment: String,
    /// The `PARTITION BY …` clause, whitespace-normalised; empty when not partitioned.
    pub partitioning: String,
    /// MariaDB `WITH SYSTEM VERSIONING`.
    pub system_versioned: bool,
}

impl TableOptions {
    /// `(label, value)` pairs in display order; the diff compares them one by one.
    pub fn fields(&self) -> [(&'static str, String); 6] {
        [
            ("engine", self.engine.clone()),
            ("collation", self.collation.clone()),
            ("row format", self.row_format.clone()),
            ("comment", self.comment.clone()),
            ("partitioning", self.partitioning.clone()),
            (
                "system versioning",
                if self.system_versioned { "on" } else { "off" }.to_string(),
            ),
        ]
    }
}

/// A column, normalised. Ordinal position is kept but compared only as a warning: Alembic
/// re-adds a dropped column at the end, which no application notices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(skip)]
    pub position: u32,
    /// Lowercased keywords; ENUM/SET labels and other quoted text kept exactly (the seeder
    /// in `data::generate` inserts these labels).
    pub column_type: String,
    pub nullable: bool,
    pub default: Option<ColumnDefault>,
    pub extra: String,
    pub collation: Option<String>,
    #[serde(default)]
    pub comment: String,
    /// Expression of a generated (virtual/stored) column, normalised.
    #[serde(default)]
    pub generation_expression: Option<String>,
}

impl Column {
    /// The display with the collation, for when the collation is what differs (the plain
    /// display leaves it out: it is the table default almost always).
    pub fn with_collation(&self) -> String {
        match &self.collation {
            Some(c) => format!("{self} COLLATE {c}"),
            None => self.to_string(),
        }
    }

    pub fn same_definition(&self, other: &Column) -> bool {
        self.column_type == other.column_type
            && self.nullable == other.nullable
            && self.default == other.default
            && self.extra == other.extra
            && self.collation == other.collation
            && self.comment == other.comment
            && self.generation_expression == other.generation_expression
    }

    pub fn is_generated(&self) -> bool {
        self.generation_expression.is_some()
            || self.extra.contains("generated")
            || self.extra.contains("persistent")
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
        if let Some(g) = &self.generation_expression {
            write!(f, " AS ({g})")?;
        }
        if !self.extra.is_empty() {
            write!(f, " {}", self.extra)?;
        }
        if !self.comment.is_empty() {
            write!(f, " COMMENT '{}'", self.comment.replace('\'', "''"))?;
        }
        Ok(())
    }
}

/// A column's default as the server holds it: a literal value, or an expression the server
/// evaluates per row. The two must not be confused: `DEFAULT 'uuid()'` stores the text,
/// `DEFAULT (uuid())` a new id. MariaDB quotes literals in COLUMN_DEFAULT and leaves
/// expressions bare; MySQL 8 leaves both bare and marks expressions `DEFAULT_GENERATED`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnDefault {
    /// The value, unquoted (`abc`, `0`, `b'1'`).
    Literal(String),
    /// The expression without outer parentheses (`uuid()`, `CURRENT_TIMESTAMP`).
    Expression(String),
}

impl ColumnDefault {
    /// How the default is written in a column definition: a string literal quoted, a
    /// number or bit literal bare; `CURRENT_TIMESTAMP` bare (every version accepts it so),
    /// any other expression in parentheses (MariaDB 10.2.1+, MySQL 8.0.13+).
    pub fn sql(&self) -> String {
        match self {
            ColumnDefault::Literal(v) if is_bare_literal(v) => v.clone(),
            ColumnDefault::Literal(v) => crate::db::literal(v),
            ColumnDefault::Expression(e) if is_current_timestamp(e) => e.clone(),
            ColumnDefault::Expression(e) => format!("({e})"),
        }
    }
}

fn is_bare_literal(v: &str) -> bool {
    let number = v.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
        && v.parse::<f64>().is_ok();
    let bits =
        (v.starts_with("b'") || v.starts_with("x'")) && v.ends_with('\'') && !v.contains(' ');
    number || bits
}

fn is_current_timestamp(e: &str) -> bool {
    e == "CURRENT_TIMESTAMP" || e.starts_with("CURRENT_TIMESTAMP(")
}

/// A literal shows as written before (`DEFAULT abc`) so reports read as they did; an
/// expression other than CURRENT_TIMESTAMP shows in parentheses, so `(uuid())` and a
/// literal `uuid()` are told apart.
impl fmt::Display for ColumnDefault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnDefault::Literal(v) => f.write_str(v),
            ColumnDefault::Expression(_) => f.write_str(&self.sql()),
        }
    }
}

/// One part of an index: a column (with prefix length) or, on MySQL 8.0.13+, an expression
/// (functional key part, `COLUMN_NAME` NULL in information_schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexColumn {
    pub name: String,
    pub sub_part: Option<u32>,
    #[serde(default)]
    pub descending: bool,
    #[serde(default)]
    pub expression: Option<String>,
}

impl IndexColumn {
    pub fn column(name: &str) -> IndexColumn {
        IndexColumn {
            name: name.to_string(),
            sub_part: None,
            descending: false,
            expression: None,
        }
    }
}

impl fmt::Display for IndexColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.expression, self.sub_part) {
            (Some(e), _) => write!(f, "({e})")?,
            (None, Some(n)) => write!(f, "{}({n})", self.name)?,
            (None, None) => write!(f, "{}", self.name)?,
        }
        if self.descending {
            write!(f, " DESC")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexKind {
    #[default]
    Btree,
    Hash,
    Fulltext,
    Spatial,
}

impl IndexKind {
    pub fn from_index_type(t: &str) -> IndexKind {
        match t.to_ascii_uppercase().as_str() {
            "FULLTEXT" => IndexKind::Fulltext,
            "SPATIAL" | "RTREE" => IndexKind::Spatial,
            "HASH" => IndexKind::Hash,
            _ => IndexKind::Btree,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub columns: Vec<IndexColumn>,
    #[serde(default)]
    pub kind: IndexKind,
    /// False for MySQL `INVISIBLE` and MariaDB `IGNORED` indexes.
    #[serde(default = "yes")]
    pub visible: bool,
}

fn yes() -> bool {
    true
}

impl Index {
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.to_string())
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
        match self.kind {
            IndexKind::Btree => {}
            IndexKind::Hash => write!(f, " HASH")?,
            IndexKind::Fulltext => write!(f, " FULLTEXT")?,
            IndexKind::Spatial => write!(f, " SPATIAL")?,
        }
        if !self.visible {
            write!(f, " INVISIBLE")?;
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    /// `VIEW_DEFINITION` with this database's qualifier removed and whitespace collapsed.
    pub definition: String,
    pub check_option: String,
    pub security_type: String,
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AS {}", self.definition)?;
        if !self.check_option.is_empty() && self.check_option != "NONE" {
            write!(f, " WITH {} CHECK OPTION", self.check_option)?;
        }
        if !self.security_type.is_empty() && self.security_type != "DEFINER" {
            write!(f, " SQL SECURITY {}", self.security_type)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub table: String,
    /// `BEFORE` / `AFTER`.
    pub timing: String,
    /// `INSERT` / `UPDATE` / `DELETE`.
    pub event: String,
    pub order: u32,
    pub statement: String,
    #[serde(skip)]
    pub create_sql: String,
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ON {} {}",
            self.timing, self.event, self.table, self.statement
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoutineKind {
    Procedure,
    Function,
}

impl RoutineKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RoutineKind::Procedure => "PROCEDURE",
            RoutineKind::Function => "FUNCTION",
        }
    }
}

impl fmt::Display for RoutineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RoutineKind::Procedure => "procedure",
            RoutineKind::Function => "function",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routine {
    pub name: String,
    pub kind: RoutineKind,
    /// `SHOW CREATE PROCEDURE|FUNCTION` without the DEFINER clause, whitespace collapsed:
    /// parameters, return type, characteristics and body in one comparable string.
    pub definition: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    /// `ONE TIME` / `RECURRING` with the interval, e.g. `RECURRING 1 DAY`.
    pub schedule: String,
    pub status: String,
    pub on_completion: String,
    pub body: String,
    #[serde(skip)]
    pub create_sql: String,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ON COMPLETION {} DO {}",
            self.schedule, self.status, self.on_completion, self.body
        )
    }
}

/// An object known only through its normalised `SHOW CREATE …` text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub name: String,
    pub definition: String,
}
