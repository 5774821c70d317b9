#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "APP_ENV=${APP_ENV}"
echo "FEATURE_FLAGS=${FEATURE_FLAGS}"
