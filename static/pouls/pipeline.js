/* Pipeline board: drag a card onto another column to move the lead there.
 *
 * Progressive enhancement: every card already has a POST form with previous/next buttons that
 * works without JavaScript. Dropping a card fills that same form's hidden `to` field with the
 * target column's stage and submits it; the server moves the lead through the same view and
 * redirects back to the board (POST-redirect-GET). Nothing here is needed to use the board.
 * A move that must ask something first (a move back: correction or regression; reaching customer
 * without a deal value) opens the lead page's stage step instead, as the card's buttons do.
 * Loaded only for people who may write (viewers get neither the forms nor this script).
 */
(function () {
  "use strict";

  var board = document.querySelector("[data-board-writable]");
  if (!board) {
    return;
  }
  var dragged = null;

  function columnOf(element) {
    return element ? element.closest(".board-column") : null;
  }

  function clearTargets() {
    board.querySelectorAll(".is-drop-target").forEach(function (column) {
      column.classList.remove("is-drop-target");
    });
  }

  function canDropOn(column) {
    return dragged !== null && column !== null && column !== columnOf(dragged);
  }

  var columns = Array.prototype.slice.call(board.querySelectorAll(".board-column"));

  // The lead page's stage step for this card and stage, or null when the move needs no question.
  function stepUrl(card, form, fromColumn, toColumn) {
    var stage = toColumn.getAttribute("data-stage");
    var back = columns.indexOf(toColumn) < columns.indexOf(fromColumn);
    var asksValue = stage === "customer" && card.hasAttribute("data-value-missing");
    if (!back && !asksValue) {
      return null;
    }
    var next = form.querySelector("input[name=next]");
    return card.getAttribute("data-step-url") + "?move=" + encodeURIComponent(stage) +
      (next ? "&next=" + encodeURIComponent(next.value) : "");
  }

  // Links inside a card would otherwise start a drag of their own URL instead of the card.
  board.querySelectorAll("[data-lead][draggable=true] a").forEach(function (link) {
    link.setAttribute("draggable", "false");
  });

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("[data-lead][draggable=true]") : null;
    if (!card) {
      return;
    }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-lead"));
    card.classList.add("is-dragging");
    board.classList.add("is-dragging");
  });

  board.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
    }
    dragged = null;
    board.classList.remove("is-dragging");
    clearTargets();
  });

  board.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!canDropOn(column)) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("is-drop-target")) {
      clearTargets();
      column.classList.add("is-drop-target");
    }
  });

  board.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) {
      column.classList.remove("is-drop-target");
    }
  });

  board.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!canDropOn(column)) {
      return;
    }
    event.preventDefault();
    var card = dragged;
    var form = card.querySelector("form[data-move-form]");
    var stageField = form ? form.querySelector("[data-drop-stage]") : null;
    if (!stageField) {
      return;
    }
    clearTargets();
    var step = stepUrl(card, form, columnOf(card), column);
    if (step) {
      window.location.assign(step);
      return;
    }
    // Show the card where it was dropped while the server records the move.
    var list = column.querySelector(".board-column__cards");
    if (list) {
      var empty = list.querySelector(".board-column__empty");
      if (empty) {
        empty.remove();
      }
      list.prepend(card);
    }
    card.classList.remove("is-dragging");
    card.classList.add("is-moving");
    card.setAttribute("aria-busy", "true");
    stageField.value = column.getAttribute("data-stage");
    stageField.disabled = false;
    form.submit();
  });
})();
