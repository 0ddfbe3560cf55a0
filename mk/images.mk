# Container images made here with podman (images/README.md): the Debian and Node base images, the
# pause image, the project's images from their Dockerfiles. Owned by local/src/images.
IMAGES_CLI := node local/dist/images/cli.js
# `make images IMAGES=operator,workloads` builds those (and what they need); empty = all.
IMAGES ?=

.PHONY: images images-list

images: cluster-compile ## build the container images with podman (cached layers: seconds when unchanged)
	@$(IMAGES_CLI) build $(IMAGES)

images-list: cluster-compile ## list the image recipes, their references and whether they are built
	@$(IMAGES_CLI) list $(IMAGES)

.PHONY: images-load
images-load: cluster-compile ## load the images into the running single-node cluster (make images does when it runs)
	@$(IMAGES_CLI) load $(IMAGES)
