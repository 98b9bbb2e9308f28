"""Sign-in addresses. Included into the ``directory`` namespace by ``directory/urls.py``
(``urlpatterns += auth_urls.urlpatterns``), so names read ``directory:login`` and so on."""

from django.urls import path

from taihe.modules.directory import auth_views

urlpatterns = [
    path("login/", auth_views.login, name="login"),
    path("login/verify/", auth_views.login_verify, name="login_verify"),
    path("logout/", auth_views.logout, name="logout"),
    path("password/change/", auth_views.password_change, name="password_change"),
    path("password/change/done/", auth_views.password_change_done,
         name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("account/two-factor/", auth_views.two_factor, name="two_factor"),
    path("account/two-factor/disable/", auth_views.two_factor_disable,
         name="two_factor_disable"),
]
