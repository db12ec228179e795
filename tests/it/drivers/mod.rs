//! Drivers: each migration tool against real servers — version tables, the warm Alembic
//! worker, the Django worker and the command templates.
mod alembic_worker;
mod django;
mod version_table;
