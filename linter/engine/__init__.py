"""Rules: loading and validating the YAML files, evaluating their conditions."""
