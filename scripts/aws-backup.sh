#!/usr/bin/env bash
# Backup and restore of a serverless deployment with AWS's own features (docs/backup.md, "AWS deployment"):
#   enable   turn on DynamoDB point-in-time recovery on every table of deployment D, S3 versioning on
#            its bucket, and a lifecycle rule that expires non-current object versions after N days.
#   restore  restore every table of D to the instant T into deployment R's tables (new tables; D is left
#            untouched), and copy into R's bucket each object's version that was current at T.
#
# usage: scripts/aws-backup.sh enable  --aws.deployment=D [--aws.bucket=B] [--keep-days=35] [--dry-run]
#        scripts/aws-backup.sh restore --aws.deployment=D --to=R --time=2026-12-01T10:00:00Z
#                                      [--aws.bucket=B] [--to-bucket=RB] [--dry-run]
#   --aws.region=REGION is passed to every aws call. Buckets default to "<deployment>-data" in lower
#   case, as the gateway's aws.bucket does; the CloudFormation stack appends the account id, so pass
#   its BucketName output there. A table that does not exist (D-data without key-value user storage)
#   is skipped and said so.
#   --dry-run makes only the read-only calls (describe-table, list-object-versions) and prints every
#   call that would change something as "would run: aws …", one a line.
# Needs AWS CLI (v1 or v2) with credentials for D, and jq.
set -euo pipefail

say() { echo "aws-backup: $*" >&2; }
die() { say "$*"; exit 2; }

cmd=${1:-}
shift || true
deployment='' bucket='' target='' target_bucket='' when='' keep_days=35 dry_run=0 region=''
for arg in "$@"; do
  case "$arg" in
    --aws.deployment=*) deployment=${arg#*=} ;;
    --aws.bucket=*) bucket=${arg#*=} ;;
    --aws.region=*) region=${arg#*=} ;;
    --to=*) target=${arg#*=} ;;
    --to-bucket=*) target_bucket=${arg#*=} ;;
    --time=*) when=${arg#*=} ;;
    --keep-days=*) keep_days=${arg#*=} ;;
    --dry-run) dry_run=1 ;;
    *) die "unknown argument $arg" ;;
  esac
done
case "$cmd" in enable|restore) ;; *) die "usage: aws-backup.sh enable|restore --aws.deployment=D … (see the script's header)" ;; esac
[ -n "$deployment" ] || die "--aws.deployment=D is required"
[ -n "$bucket" ] || bucket=$(echo "$deployment-data" | tr '[:upper:]' '[:lower:]')
command -v jq >/dev/null || die "jq is required"

region_args=()
[ -z "$region" ] || region_args=(--region "$region")

# Read-only calls run even with --dry-run, since what the changes are depends on them.
aws_read() { aws "${region_args[@]}" "$@"; }
# Calls that change something: printed, not made, under --dry-run.
aws_change() {
  if [ "$dry_run" = 1 ]; then
    printf 'would run: aws'
    printf ' %q' "${region_args[@]}" "$@"
    printf '\n'
  else
    aws "${region_args[@]}" "$@" >/dev/null
  fi
}

# The deployment's tables that exist, as AwsSettings names them (its -data table only with key-value).
tables_of() {
  local d=$1 s
  for s in nodes counters pending sessions leases watches data; do
    if aws_read dynamodb describe-table --table-name "$d-$s" --output text --query 'Table.TableName' >/dev/null 2>&1; then
      echo "$s"
    else
      say "no table $d-$s: skipped"
    fi
  done
}

enable() {
  local s tables
  tables=$(tables_of "$deployment")
  for s in $tables; do
    aws_change dynamodb update-continuous-backups --table-name "$deployment-$s" \
      --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true
  done
  aws_change s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
  # Without it every overwritten node's old versions would be kept (and billed) for ever.
  aws_change s3api put-bucket-lifecycle-configuration --bucket "$bucket" --lifecycle-configuration \
    "{\"Rules\":[{\"ID\":\"zkgateway-expire-noncurrent\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"\"},\"NoncurrentVersionExpiration\":{\"NoncurrentDays\":$keep_days}}]}"
  say "enabled: point-in-time recovery on $(echo "$tables" | wc -w) tables, versioning on $bucket (non-current versions kept $keep_days days)"
}

# For each key, the version current at $when: the newest with LastModified <= T, unless that one is a
# delete marker (then the key did not exist at T). Prints "key<TAB>versionId" lines. The CLI
# URL-encodes copy-object's "bucket/key?versionId=V" source itself, so the key goes in as it is.
versions_at() {
  aws_read s3api list-object-versions --bucket "$bucket" --output json |
    jq -r --arg t "$when" '
      def epoch: sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdateiso8601;
      ($t | epoch) as $limit
      | [(.Versions // [])[] | . + {marker: false}] + [(.DeleteMarkers // [])[] | . + {marker: true}]
      | map(select((.LastModified | epoch) <= $limit))
      | group_by(.Key)[]
      | max_by(.LastModified | epoch)
      | select(.marker | not)
      | "\(.Key)\t\(.VersionId)"'
}

restore() {
  [ -n "$target" ] || die "--to=R (the new deployment's name) is required"
  [ "$target" != "$deployment" ] || die "--to must name a new deployment, not $deployment itself"
  [[ "$when" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || die "--time=YYYY-MM-DDTHH:MM:SSZ (UTC) is required"
  [ -n "$target_bucket" ] || target_bucket=$(echo "$target-data" | tr '[:upper:]' '[:lower:]')
  local s tables
  tables=$(tables_of "$deployment")
  for s in $tables; do
    aws_change dynamodb restore-table-to-point-in-time --source-table-name "$deployment-$s" \
      --target-table-name "$target-$s" --restore-date-time "$when"
  done
  for s in $tables; do
    aws_change dynamodb wait table-exists --table-name "$target-$s"
  done
  # Outside us-east-1 S3 wants the region named again as the location.
  local location=()
  [ -z "$region" ] || [ "$region" = us-east-1 ] || location=(--create-bucket-configuration "LocationConstraint=$region")
  aws_change s3api create-bucket --bucket "$target_bucket" "${location[@]}"
  local key version copied=0
  while IFS=$'\t' read -r key version; do
    [ -n "$key" ] || continue
    aws_change s3api copy-object --bucket "$target_bucket" --key "$key" \
      --copy-source "$bucket/$key?versionId=$version"
    copied=$((copied + 1))
  done < <(versions_at)
  say "restored $deployment at $when as $target: $(echo "$tables" | wc -w) tables, $copied objects into $target_bucket"
  say "next: start $target's functions and point the gateways at it (--aws.deployment=$target --aws.bucket=$target_bucket)"
}

"$cmd"
