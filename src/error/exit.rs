//! Exit codes of the CLI contract.

pub const PASSED: i32 = 0;
pub const FAILED: i32 = 1;
pub const USAGE: i32 = 2;
pub const ENVIRONMENT: i32 = 3;
/// Every selected scenario skipped, or no revision in the gate's scope.
pub const NOTHING_TESTED: i32 = 4;
pub const SIGINT: i32 = 130;
pub const SIGTERM: i32 = 143;
