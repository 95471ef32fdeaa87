"""Amazon Web Services through boto3: S3 objects and presigned URLs, SQS, SNS and Lambda,
with an optional role to assume and an optional S3-compatible endpoint. Importing this
package registers it."""

from wirework.integrations.aws import actions
from wirework.integrations.aws.credentials import AWS, AwsCredentials, forget_sessions

__all__ = ["AWS", "AwsCredentials", "actions", "forget_sessions"]
