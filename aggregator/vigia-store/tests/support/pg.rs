//! The PostgreSQL test server lives in the crate (feature `testing`) so the end-to-end tests
//! share it: see `vigia_store::testing`.

pub use vigia_store::testing::*;
