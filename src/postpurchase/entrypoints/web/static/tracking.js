// Progressive enhancement only: without this file the rating form posts and reloads.
// With it, a tap saves the rating in place and announces the thanks to screen readers.
(function () {
  var form = document.querySelector('form[data-enhance="rating"]');
  if (!form || !window.fetch) return;
  var status = document.querySelector('.rating-status');
  form.addEventListener('submit', function (event) {
    var button = event.submitter;
    if (!button || !button.value) return;
    event.preventDefault();
    var score = Number(button.value);
    fetch(form.action, {
      method: 'POST',
      headers: {'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded'},
      body: 'score=' + encodeURIComponent(button.value),
      credentials: 'same-origin'
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      form.querySelectorAll('button').forEach(function (b) {
        var n = Number(b.value);
        b.setAttribute('aria-pressed', n === score ? 'true' : 'false');
        b.classList.toggle('on', n <= score);
      });
      if (status) status.textContent = status.getAttribute('data-thanks');
    }).catch(function () {
      var hidden = document.createElement('input');
      hidden.type = 'hidden'; hidden.name = 'score'; hidden.value = button.value;
      form.appendChild(hidden);
      form.submit();  // plain post (no submit event): the server answers with a redirect
    });
  });
})();
