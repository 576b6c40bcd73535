pub mod examples;
