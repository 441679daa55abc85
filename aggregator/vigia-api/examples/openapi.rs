//! Prints the API's OpenAPI document, e.g. to check it into the reference docs:
//! `cargo run -p vigia-api --example openapi > openapi.json`.

fn main() -> Result<(), serde_json::Error> {
    println!("{}", serde_json::to_string_pretty(&vigia_api::openapi())?);
    Ok(())
}
