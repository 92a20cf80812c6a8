"""The application: the YAML pipelines with the settings applied, and `QuestionAnswerer`, which runs them."""
