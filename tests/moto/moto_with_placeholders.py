"""moto_server, plus placeholder CloudFormation models for the resource types moto does not model.

Test harness only (tests/tests/deploy_cli.rs). moto 5.2 has no CloudFormation model for
CodeCommit, CodeBuild, CodeDeploy and CodePipeline: a template that uses `Fn::GetAtt` on one of
them (the seed example's pipeline reads `RepoApp.Name`, its policies `RepoApp.Arn`) fails with
"GetAtt references undefined resource" in its resources and with an HTTP 500 in its Outputs.
This wrapper registers one placeholder model for those types: creating, updating and deleting
it only records its name, and every attribute resolves to a plausible value. Nothing here
changes what pipec sends; it makes the emulator accept the real template.

A pipeline is also registered with moto's CodePipeline backend (its properties in the API's
shape), so that `pipec release` and `pipec status` find the pipeline `pipec apply` created
(tests/tests/operate_cli.rs).

moto's change sets carry no `Replacement`; CloudFormation reports `Replacement: True` for an
`AWS::EC2::Instance` whose `ImageId`, `KeyName`, `SubnetId` or `AvailabilityZone` changes (each
documented "Update requires: Replacement"). The wrapper adds that for those properties, so that
`pipec plan` sees a replaced instance as it would on AWS (tests/tests/deploy_cli.rs).

Usage: python moto_with_placeholders.py -H 127.0.0.1 -p PORT
"""

import sys
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.server import main

ACCOUNT = "123456789012"

# type -> (service for ARNs, property naming the resource)
PLACEHOLDER_TYPES = {
    "AWS::CodeCommit::Repository": ("codecommit", "RepositoryName"),
    "AWS::CodeBuild::Project": ("codebuild", "Name"),
    "AWS::CodeDeploy::Application": ("codedeploy", "ApplicationName"),
    "AWS::CodeDeploy::DeploymentGroup": ("codedeploy", "DeploymentGroupName"),
    "AWS::CodePipeline::Pipeline": ("codepipeline", "Name"),
}


class Placeholder(CloudFormationModel):
    """A resource moto cannot model: a name and attributes derived from it."""

    # moto's instance tracker names the service after the second part of the module path.
    __module__ = "moto.placeholders"

    def __init__(self, resource_type: str, name: str, region: str) -> None:
        self.resource_type = resource_type
        self.name = name
        self.region = region

    @staticmethod
    def cloudformation_type() -> str:
        return "Placeholder"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @classmethod
    def _make(cls, resource_name: str, cloudformation_json: dict[str, Any], region: str,
              resource_type: str) -> "Placeholder":
        _, name_property = PLACEHOLDER_TYPES.get(resource_type, ("", ""))
        properties = cloudformation_json.get("Properties") or {}
        name = properties.get(name_property) or resource_name
        return cls(resource_type, str(name), region)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> "Placeholder":
        made = cls._make(resource_name, cloudformation_json, region_name, kwargs["ResourceType"])
        if made.resource_type == "AWS::CodePipeline::Pipeline":
            _register_pipeline(made.name, cloudformation_json, account_id, region_name)
        return made

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> "Placeholder":
        made = cls._make(new_resource_name, cloudformation_json, region_name,
                         original_resource.resource_type)
        if made.resource_type == "AWS::CodePipeline::Pipeline":
            _register_pipeline(made.name, cloudformation_json, account_id, region_name)
        return made

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> None:
        return None

    def get_cfn_attribute(self, attribute_name: str) -> str:
        service, _ = PLACEHOLDER_TYPES.get(self.resource_type, ("unknown", ""))
        if attribute_name == "Arn":
            return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{self.name}"
        if attribute_name == "CloneUrlHttp":
            return f"https://git-codecommit.{self.region}.amazonaws.com/v1/repos/{self.name}"
        if attribute_name == "CloneUrlSsh":
            return f"ssh://git-codecommit.{self.region}.amazonaws.com/v1/repos/{self.name}"
        if attribute_name == "Name":
            return self.name
        return f"{self.name}-{attribute_name}"


def _api_shape(value: Any, raw: bool = False) -> Any:
    """CloudFormation's PascalCase properties as the CodePipeline API's camelCase (action
    configurations keep their keys)."""
    if isinstance(value, dict):
        if raw:
            return value
        return {key[:1].lower() + key[1:]: _api_shape(item, key == "Configuration")
                for key, item in value.items()}
    if isinstance(value, list):
        return [_api_shape(item) for item in value]
    return value


def _register_pipeline(name: str, cloudformation_json: dict[str, Any], account_id: str,
                       region_name: str) -> None:
    from moto.codepipeline.models import CodePipeline, codepipeline_backends

    properties = cloudformation_json.get("Properties") or {}
    pipeline = _api_shape({key: properties[key] for key in ("RoleArn", "ArtifactStore", "Stages")
                           if key in properties})
    pipeline["name"] = name
    backend = codepipeline_backends[account_id][region_name]
    old = backend.pipelines.get(name)
    backend.pipelines[name] = CodePipeline(account_id, region_name, pipeline)
    if old is not None:
        backend.pipelines[name].executions = old.executions


# type -> the properties whose change replaces the resource (CloudFormation's resource reference)
REPLACING_PROPERTIES = {
    "AWS::EC2::Instance": ("ImageId", "KeyName", "SubnetId", "AvailabilityZone"),
}


def _properties(template: Any, logical_id: str) -> dict[str, Any]:
    resources = (template or {}).get("Resources") or {}
    return (resources.get(logical_id) or {}).get("Properties") or {}


def _diff_with_replacement(change_set: Any) -> Any:
    changes = _original_diff(change_set)
    for change in changes:
        replacing = REPLACING_PROPERTIES.get(change.resource_type)
        if change.action != "Modify" or not replacing:
            continue
        before = _properties(change_set.stack.template_dict, change.logical_resource_id)
        after = _properties(change_set.template_dict, change.logical_resource_id)
        if any(before.get(name) != after.get(name) for name in replacing):
            change.replacement = "True"
    return changes


_original_class_from_type = parsing.resource_class_from_type


def _class_from_type(resource_type: str) -> Any:
    if resource_type in PLACEHOLDER_TYPES:
        return Placeholder
    return _original_class_from_type(resource_type)


parsing.resource_class_from_type = _class_from_type
_original_diff = cfn_models.ChangeSet.diff
cfn_models.ChangeSet.diff = _diff_with_replacement  # type: ignore[method-assign]

if __name__ == "__main__":
    main(sys.argv[1:])
