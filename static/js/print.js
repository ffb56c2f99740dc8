/* Print view: 打印 opens the print dialog; 關閉 closes a window opened by script, else goes back. */
(function () {
  "use strict";
  var printButton = document.querySelector('[data-action="print"]');
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }
  var close = document.querySelector('[data-action="close"]');
  if (close) {
    close.addEventListener("click", function (event) {
      if (window.opener) {
        event.preventDefault();
        window.close();
      }
    });
  }
})();
