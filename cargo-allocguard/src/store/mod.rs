//! What is kept between commands: the run file of a run (`run_file`), the
//! phase log of labelled runs (`phase_log`), finding a run or a baseline
//! (`locate`), joining shards (`merge`), and writing a file whole or not at
//! all (`whole_file`).
//!
//! Rule of this folder: it reads and writes files and judges nothing; it
//! never truncates, overwrites or deletes a file it did not create. It uses
//! `workspace` (a shard's partition) and the layers below.

pub mod locate;
pub mod merge;
pub mod phase_log;
pub mod run_file;
pub mod whole_file;
