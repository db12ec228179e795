//! Release compatibility as typed data: the statements a release's code sends
//! (`CodeStatement`), what a server refused of them (`Incompatibility`) and the revision
//! whose change caused it (`Cause`). Pure: the step that runs them is
//! `scenario::steps::compat`, the wording lives in the `Display` impls of `incompatibility.rs`.

mod blame;
mod incompatibility;
mod subject;

pub use blame::{blame, Blame, RevisionChanges};
pub use incompatibility::{
    Cause, CodeStatement, Fix, Incompatibility, ModelUnavailable, Op, Param, Release, Role,
};
pub use subject::Subject;
