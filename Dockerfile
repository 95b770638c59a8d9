# The one image every Vigil pipeline runs (pipelines/*.yaml name it in transform.image).
# tfjs-node-gpu 4.22 downloads libtensorflow 2.9.1 (its scripts/deps-constants.js), built for
# CUDA 11.2 and cuDNN 8.1: it loads the CUDA 11 libraries by their major sonames
# (libcudart.so.11.0, libcublas.so.11, libcudnn.so.8, ...), which every CUDA 11.x >= 11.2 and
# cuDNN 8.x provide (CUDA's minor version compatibility). NVIDIA removed the 11.2 images; 11.8
# is the last CUDA 11 and is still published. Check the tag and record its digest where Docker
# runs (README, "Run on Pachyderm").
ARG NODE_VERSION=20.20.2
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

FROM node:${NODE_VERSION}-bookworm-slim AS node

# Build: compile the TypeScript, install production dependencies with the GPU backend.
FROM ${CUDA_IMAGE} AS build
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY specs ./specs
COPY src ./src
COPY steps ./steps
COPY bin ./bin
# npm ci runs `prepare` (the build) and installs @tensorflow/tfjs-node-gpu, an optional
# dependency whose install script downloads libtensorflow for GPUs.
RUN npm ci \
 && node -e "require('@tensorflow/tfjs-node-gpu')" \
 && npm prune --omit=dev

# Runtime: CUDA, Node, the compiled steps; runs as a non-root user.
FROM ${CUDA_IMAGE}
COPY --from=node /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY specs ./specs
COPY pipelines ./pipelines
COPY warehouse ./warehouse
RUN ln -s /app/bin/vigil.js /usr/local/bin/vigil \
 && useradd --system --uid 10001 --create-home vigil
USER vigil
ENV NODE_ENV=production
ENTRYPOINT ["vigil"]
