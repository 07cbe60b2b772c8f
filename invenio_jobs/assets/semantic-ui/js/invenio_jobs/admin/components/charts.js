/*
 * This file is part of invenio-jobs.
 * Copyright (C) 2026 The invenio-jobs authors.
 *
 * invenio-jobs is free software; you can redistribute it and/or modify it
 * under the terms of the MIT License; see LICENSE file for more details.
 */


// What the health charts share: Chart.js with only the pieces they draw
// (bars on a category axis, tooltips, legend), and a colour per status
// that matches the status labels of the tables.

import React, { useEffect, useRef } from "react";
import PropTypes from "prop-types";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

// Semantic UI's label colours, so that a bar and its status label agree.
export const STATUS_COLORS = {
  SUCCESS: "#21ba45",
  FAILED: "#db2828",
  RUNNING: "#2185d0",
  QUEUED: "#767676",
  WARNING: "#f2711c",
  PARTIAL_SUCCESS: "#f2711c",
  CANCELLING: "#fbbd08",
  CANCELLED: "#a5673f",
};

// Statuses bottom to top in a stack: endings first, then what is still on.
export const STATUS_ORDER = [
  "SUCCESS",
  "PARTIAL_SUCCESS",
  "WARNING",
  "FAILED",
  "CANCELLED",
  "CANCELLING",
  "RUNNING",
  "QUEUED",
];

export const statusColor = (status) => STATUS_COLORS[status] || "#767676";

// A Chart.js chart on a canvas, made once and updated in place when its
// configuration changes (no flicker, tooltips stay where they are).
export function useChart(makeConfig, deps) {
  const canvas = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    if (!canvas.current) return;
    const config = makeConfig();
    if (!config) return;
    if (!chart.current) {
      chart.current = new Chart(canvas.current, config);
    } else {
      chart.current.data = config.data;
      chart.current.options = config.options;
      chart.current.update("none");
    }
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(
    () => () => {
      if (chart.current) chart.current.destroy();
      chart.current = null;
    },
    []
  );
  return { canvas, chart };
}

// The canvas of a chart, in a box of the height the styles give it; a
// canvas is an image to screen readers, named by ``label``.
export function ChartCanvas({ canvas, label, className }) {
  return (
    <div className={`jobs-chart-canvas ${className}`.trim()}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

ChartCanvas.propTypes = {
  canvas: PropTypes.object.isRequired,
  label: PropTypes.string.isRequired,
  className: PropTypes.string,
};
ChartCanvas.defaultProps = { className: "" };
