/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */

// The "@templates" folder holds an instance's overridden React templates.
// The demo overrides none; this file only makes the folder exist.
export default null;
