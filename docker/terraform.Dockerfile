# syntax=docker/dockerfile:1
# A worker image with terraform, which Debian does not package: build the main image first
# (docker build -t apollo-chatops .), then
#   docker build -f docker/terraform.Dockerfile --build-arg TERRAFORM_VERSION=1.9 -t apollo-chatops:terraform .
# and use apollo-chatops:terraform for the worker service (compose.yaml: APOLLO_WORKER_IMAGE).
ARG APOLLO_IMAGE=apollo-chatops:latest
ARG TERRAFORM_VERSION=1.9
FROM hashicorp/terraform:${TERRAFORM_VERSION} AS terraform

FROM ${APOLLO_IMAGE}
COPY --from=terraform /bin/terraform /usr/local/bin/terraform
