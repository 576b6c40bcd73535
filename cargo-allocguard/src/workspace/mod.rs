//! The user's workspace: its cargo metadata and scenario targets
//! (`metadata`), building them (`build`), listing and choosing their
//! scenarios (`select`), which scenarios a CI shard runs (`partition`), what
//! git says of it (`git`), how allocguard was installed (`install_source`),
//! and setting a crate up (`init`).
//!
//! Rule of this folder: it asks cargo and git about the workspace and edits
//! only what `init` creates or adds to; it uses `error`, `units`, `cli` and
//! `config`.

pub mod build;
pub mod git;
pub mod init;
pub mod install_source;
pub mod metadata;
pub mod partition;
pub mod select;
