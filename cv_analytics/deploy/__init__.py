"""``cv-analytics deploy``: the first deployment (and any later one) in one idempotent command.

Modules: :mod:`.settings` (deploy.toml, the one place for every setting), :mod:`.tools` (where
terraform and sam are), :mod:`.plan` (the steps and their exact command lines), :mod:`.checks`
(prerequisites, first problem stops), :mod:`.terraform_cloud` (the HCP Terraform API checks),
:mod:`.stacks` (is a SAM stack already at this release), :mod:`.runner` (runs or prints the plan),
:mod:`.command` (the argparse wiring), :mod:`.ci` (the same settings for the GitHub workflows).

Only the base dependencies (boto3, pydantic) are imported: the command runs from a plain
``pip install cv-analytics``.
"""

#: The settings file, at the repository's root: every value a user chooses for a deployment.
SETTINGS_FILE = "deploy.toml"
