//! Findings: one finding per defect, linked to its cause, under the verdict policy; schema
//! pairs that must and must not differ.
mod dedup_and_links;
mod schema_pairs;
mod verdict_policy;
