"""Tests of infra/deployable.py on small inline templates.

Run: .venv/bin/python -m unittest infra/test_deployable.py
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deployable  # noqa: E402

SAM_HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
"""

# Two functions routed by one HTTP API; {env} goes into every function's environment.
ROUTED_FUNCTIONS = SAM_HEADER + """\
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Environment:
      Variables:
        {env}
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  OneFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../functions/one
      Events:
        Route:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: /one, Method: ANY}}
  TwoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../functions/two
      Events:
        Route:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: /two, Method: ANY}}
"""


class CheckerTest(unittest.TestCase):
    def run_checker(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(textwrap.dedent(text))
        self.addCleanup(os.unlink, f.name)
        ok, lines = deployable.run(f.name)
        return ok, "\n".join(lines)

    def assert_fails(self, text, *expected):
        ok, report = self.run_checker(text)
        self.assertFalse(ok, report)
        for part in expected:
            self.assertIn(part, report)
        return report

    def assert_passes(self, text):
        ok, report = self.run_checker(text)
        self.assertTrue(ok, report)
        self.assertTrue(report.startswith("OK "), report)
        return report

    def test_function_env_naming_its_http_api_is_a_cycle(self):
        env = 'URL: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"'
        report = self.assert_fails(
            ROUTED_FUNCTIONS.format(env=env),
            "circular dependency between 3 resources: Api, OneFunction, TwoFunction",
        )
        self.assertIn("Environment.Variables.URL", report)

    def test_same_functions_without_the_reference_pass(self):
        report = self.assert_passes(ROUTED_FUNCTIONS.format(env="URL: https://example.com"))
        self.assertIn("dependency edges", report)

    def test_cycle_through_the_false_branch_of_if(self):
        text = ROUTED_FUNCTIONS.format(env='URL: !If [HasUrl, !Ref Url, !Sub "https://${Api}.example"]')
        text = text.replace(
            "Globals:",
            'Parameters:\n  Url: {Type: String, Default: ""}\n'
            'Conditions:\n  HasUrl: !Not [!Equals [!Ref Url, ""]]\nGlobals:',
        )
        self.assert_fails(text, "circular dependency between 3 resources", "Fn::If[2]")

    def test_ref_to_a_missing_resource(self):
        self.assert_fails(
            """\
            Resources:
              Topic:
                Type: AWS::SNS::Topic
                Properties:
                  TopicName: !Ref Nowhere
            """,
            "Resources.Topic.Properties.TopicName.Ref",
            "'Nowhere'",
        )

    def test_getatt_and_sub_to_missing_resources(self):
        self.assert_fails(
            """\
            Resources:
              Topic:
                Type: AWS::SNS::Topic
                Properties:
                  TopicName: !GetAtt Queue.QueueName
                  DisplayName: !Sub "${Other.Arn}"
            """,
            "Fn::GetAtt names 'Queue'",
            "Fn::GetAtt names 'Other'",
        )

    def test_depends_on_itself(self):
        self.assert_fails(
            """\
            Resources:
              Topic:
                Type: AWS::SNS::Topic
                DependsOn: Topic
            """,
            "circular dependency between 1 resources: Topic",
        )

    def test_sub_literals_and_variables_are_not_references(self):
        # Second DependsOn First; a false edge First -> Second would close a cycle.
        self.assert_passes(
            """\
            Resources:
              First:
                Type: AWS::SNS::Topic
                Properties:
                  TopicName: !Sub
                    - "${!Second}-${Second}-${AWS::StackName}"
                    - Second: literal
              Second:
                Type: AWS::SNS::Topic
                DependsOn: [First]
            """
        )

    def test_sub_variable_values_are_walked(self):
        self.assert_fails(
            """\
            Resources:
              First:
                Type: AWS::SNS::Topic
                Properties:
                  TopicName: !Sub ["${Name}", {Name: !Ref Missing}]
            """,
            "'Missing'",
        )

    def test_metadata_references_are_dependencies(self):
        # CloudFormation resolves intrinsics in Metadata, so a Ref there orders creation too.
        self.assert_fails(
            """\
            Resources:
              First:
                Type: AWS::SNS::Topic
                Metadata: {Note: !Ref Second}
              Second:
                Type: AWS::SNS::Topic
                DependsOn: First
            """,
            "circular dependency between 2 resources: First, Second",
            "First [Metadata.Note.Ref]",
        )

    def test_undefined_condition(self):
        self.assert_fails(
            """\
            Resources:
              Topic:
                Type: AWS::SNS::Topic
                Condition: Nope
                Properties:
                  TopicName: !If [AlsoNope, a, b]
            """,
            "condition 'Nope' is not defined",
            "condition 'AlsoNope' is not defined",
        )

    def test_logical_id_must_be_alphanumeric(self):
        self.assert_fails(
            """\
            Resources:
              My-Topic:
                Type: AWS::SNS::Topic
            """,
            "'My-Topic' is not alphanumeric",
        )

    def test_too_many_resources(self):
        body = "".join(f"  Topic{i}:\n    Type: AWS::SNS::Topic\n" for i in range(501))
        self.assert_fails("Resources:\n" + body, "501 resources, over CloudFormation's limit of 500")

    def test_unknown_managed_policy_name(self):
        # The offline transform leaves a name it cannot map as it is; IAM would refuse it.
        self.assert_fails(
            SAM_HEADER
            + """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      CodeUri: ../x
      Policies: [NoSuchManagedPolicy]
""",
            "'NoSuchManagedPolicy' is not an ARN",
        )

    def test_sam_transform_errors_are_reported_without_traceback(self):
        self.assert_fails(
            SAM_HEADER
            + """\
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: provided.al2023
      Handler: bootstrap
      CodeUri: ../x
      Events:
        Bad: {Type: NoSuchEvent}
""",
            "the SAM transform refuses the template",
        )

    def test_command_line_exit_status_and_no_traceback(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("Resources: [unclosed\n")
        self.addCleanup(os.unlink, f.name)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "deployable.py")
        result = subprocess.run([sys.executable, script, f.name], capture_output=True, text=True)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("FAIL", result.stdout)
        self.assertNotIn("Traceback", result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
