"""The YAML pipelines the application ships (installed as `extractive_qa.pipelines`); read them with
`extractive_qa.app.pipeline_loader`."""
